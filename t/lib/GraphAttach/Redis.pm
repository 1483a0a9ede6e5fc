package GraphAttach::Redis;

# Redis trouble for the graph-attach tests (t/080-*.t ... t/089-*.t):
# extra redis-server processes (on the harness's Redis port or others),
# kill -9, SIGSTOP, Sentinel, a fake Redis that answers what it is told,
# and a background load generator.
#
#   use GraphAttach::Test;
#   use GraphAttach::Redis;
#
#   my $t = GraphAttach::Test->new;
#   my $r = GraphAttach::Redis->new($t, port => $t->redis_port);
#   $r->start;                      # the harness's %%REDIS%% now answers
#   $t->start_graph;
#   $t->start_nginx;
#   $r->cmd(SET => 'k', 'v');
#   $r->kill9; $r->start;           # same port, same options
#
# Each instance cleans up after itself (DESTROY, END).  Children forked
# here leave with POSIX::_exit, so that no destructor of the parent's
# objects (which would stop nginx) runs in them.

use strict;
use warnings;

use Carp qw(croak);
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

my @ALL;

END {
    my $status = $?;
    $_->stop for grep { defined } @ALL;
    $? = $status;
}

# new($t, port => N, name => 'x', password => 'pw', args => [...],
#     persist => 1 (RDB saved on TERM, loaded on start),
#     sentinel => { master => 'name', port => N, quorum => 2,
#                   down_after => ms, failover_timeout => ms })
sub new {
    my ($class, $t, %opt) = @_;
    my $port = $opt{port} || (GraphAttach::Test::free_ports(1))[0];
    my $name = $opt{name} || "redis-$port";
    my $dir = $t->servroot . "/redis/$name";
    mkdir $dir;
    my $self = bless {
        t        => $t,
        port     => $port,
        name     => $name,
        dir      => $dir,
        password => $opt{password},
        args     => $opt{args} || [],
        persist  => $opt{persist},
        sentinel => $opt{sentinel},
        log      => $t->servroot . "/logs/$name.log",
    }, $class;
    push @ALL, $self;
    return $self;
}

sub port { $_[0]{port} }
sub pid { $_[0]{pid} }
sub address { "127.0.0.1:$_[0]{port}" }
sub running { $_[0]{pid} && waitpid($_[0]{pid}, WNOHANG) == 0 }

sub start {
    my ($self) = @_;
    croak "$self->{name} is running" if $self->running;

    my @argv;
    if (my $s = $self->{sentinel}) {
        # Sentinel rewrites its config file: a fresh one for each start
        # only the first time, so that a restart keeps what it learned.
        my $conf = "$self->{dir}/sentinel.conf";
        if (!-f $conf) {
            open(my $fh, '>', $conf) or croak "$conf: $!";
            print {$fh} "port $self->{port}\nbind 127.0.0.1\n"
                . "dir $self->{dir}\n"
                . "sentinel monitor $s->{master} 127.0.0.1 $s->{port} "
                . ($s->{quorum} || 2) . "\n"
                . "sentinel down-after-milliseconds $s->{master} "
                . ($s->{down_after} || 1000) . "\n"
                . "sentinel failover-timeout $s->{master} "
                . ($s->{failover_timeout} || 10000) . "\n"
                . "sentinel parallel-syncs $s->{master} 1\n";
            close $fh;
        }
        @argv = ('redis-server', $conf, '--sentinel');
    } else {
        @argv = ('redis-server',
                 '--port', $self->{port},
                 '--bind', '127.0.0.1',
                 '--dir', $self->{dir},
                 '--appendonly', 'no',
                 '--daemonize', 'no',
                 '--save', ($self->{persist} ? '3600 1' : ''));
        push @argv, '--requirepass', $self->{password}
            if defined $self->{password};
        push @argv, @{ $self->{args} };
    }

    my $pid = fork;
    croak "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $self->{log} or POSIX::_exit(127);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(127);
        { no warnings 'exec'; exec { $argv[0] } @argv; }
        POSIX::_exit(127);
    }
    $self->{pid} = $pid;

    my $end = time + 10;
    while (time < $end) {
        my $pong = eval { $self->cmd('PING') } // '';
        return $self if $pong eq 'PONG';
        croak "$self->{name} exited: see $self->{log}" unless $self->running;
        sleep 0.02;
    }
    croak "$self->{name} did not start: see $self->{log}";
}

sub _reap {
    my ($self, $timeout) = @_;
    my $pid = $self->{pid} or return;
    my $end = time + $timeout;
    while (time < $end) {
        my $r = waitpid($pid, WNOHANG);
        last if $r == $pid || $r == -1;
        sleep 0.01;
    }
    if (waitpid($pid, WNOHANG) == 0) {
        kill 'CONT', $pid;
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }
    delete $self->{pid};
    close $self->{sock} if $self->{sock};
    delete $self->{sock};
}

# Graceful: TERM (with persist, the data is saved for the next start).
sub stop {
    my ($self) = @_;
    return unless $self->{pid};
    kill 'CONT', $self->{pid};
    kill 'TERM', $self->{pid};
    $self->_reap(10);
}

sub kill9 {
    my ($self) = @_;
    return unless $self->{pid};
    kill 'KILL', $self->{pid};
    $self->_reap(5);
}

sub pause { kill 'STOP', $_[0]{pid} }
sub resume { kill 'CONT', $_[0]{pid} }

# One command; returns the reply (string, integer, array ref, undef for
# nil).  An error reply dies with "REDIS ERROR ...".  No connection:
# dies with "redis: ...".
sub cmd {
    my ($self, @args) = @_;
    # a connection that went away (Redis restarted, Sentinel's CLIENT
    # KILL after a failover) is opened again once
    for my $try (1, 2) {
        my $fresh = !$self->{sock};
        my $r = eval { $self->_cmd(@args) };
        return $r unless $@;
        die $@ if $@ =~ /^REDIS ERROR/ || $fresh || $try == 2;
    }
}

sub _cmd {
    my ($self, @args) = @_;
    my $s = $self->{sock};
    if (!$s) {
        $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                   PeerPort => $self->{port},
                                   Proto => 'tcp', Timeout => 2)
            or die "redis: cannot connect to $self->{port}: $!\n";
        $self->{sock} = $s;
        if (defined $self->{password} && !$self->{sentinel}) {
            my $r = eval { $self->_call('AUTH', $self->{password}) };
            if (!defined $r || $r ne 'OK') {
                delete $self->{sock};
                die "redis: AUTH failed\n";
            }
        }
    }
    my $r = eval { $self->_call(@args) };
    if ($@) {
        delete $self->{sock} unless $@ =~ /^REDIS ERROR/;
        die $@;
    }
    return $r;
}

sub _call {
    my ($self, @args) = @_;
    my $s = $self->{sock};
    my $cmd = '*' . scalar(@args) . "\r\n";
    $cmd .= '$' . length($_) . "\r\n$_\r\n" for @args;
    local $SIG{ALRM} = sub { die "redis: timeout\n" };
    alarm 5;
    my $r = eval {
        print {$s} $cmd or die "redis: write: $!\n";
        GraphAttach::Test::_resp_read($s);
    };
    alarm 0;
    die $@ if $@;
    return $r;
}

# GET calls since start or the last reset (INFO commandstats).
sub get_calls {
    my ($self) = @_;
    my $info = eval { $self->cmd('INFO', 'commandstats') } // '';
    return $info =~ /^cmdstat_get:calls=(\d+)/m ? $1 + 0 : 0;
}


# ----------------------------------------------------------------------
# A fake Redis: answers each command from a little table that the test
# changes on the fly through a file.  $f = GraphAttach::Redis->fake($t,
# port => N); $f->mode('loading'); modes:
#   ok        PING +PONG, GET the value set with $f->value(...), PTTL -1,
#             AUTH/SELECT +OK
#   loading   every command: -LOADING Redis is loading the dataset in memory
#   noauth    every command but AUTH: -NOAUTH Authentication required.
#   silent    reads, never answers
# The fake counts GETs in a file: $f->gets.

sub fake {
    my ($class, $t, %opt) = @_;
    my $self = $class->new($t, %opt, name => $opt{name} || 'fake-redis');
    $self->{fake} = 1;
    $self->mode($opt{mode} || 'ok');
    $self->value($opt{value} // '');
    return $self;
}

sub _file { "$_[0]{dir}/$_[1]" }

sub _put {
    my ($self, $f, $v) = @_;
    open(my $fh, '>', "$self->{dir}/$f.tmp") or croak "$f: $!";
    print {$fh} $v;
    close $fh;
    rename "$self->{dir}/$f.tmp", "$self->{dir}/$f";
}

sub _get {
    my ($self, $f) = @_;
    open(my $fh, '<', "$self->{dir}/$f") or return '';
    local $/;
    my $v = <$fh>;
    return $v // '';
}

sub mode { $_[0]->_put('mode', $_[1]) }
sub value { $_[0]->_put('value', $_[1]) }
sub gets { my $n = $_[0]->_get('gets'); length($n) ? $n + 0 : 0 }

sub fake_start {
    my ($self) = @_;
    my $listen = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1', LocalPort => $self->{port},
        Proto => 'tcp', Listen => 64, ReuseAddr => 1,
    ) or croak "fake redis: cannot listen on $self->{port}: $!";

    my $pid = fork;
    croak "fork: $!" unless defined $pid;
    if ($pid == 0) {
        $SIG{CHLD} = 'IGNORE';
        my $gets = 0;
        while (my $c = $listen->accept) {
            my $k = fork;
            next if !defined $k;
            if ($k) { close $c; next; }
            close $listen;
            binmode $c;
            $c->autoflush(1);
            while (1) {
                my $line = <$c>;
                last unless defined $line;
                next unless $line =~ /^\*(\d+)/;
                my @a;
                for (1 .. $1) {
                    my $len = <$c>;
                    last unless defined $len && $len =~ /^\$(\d+)/;
                    my $n = $1;
                    my $buf = '';
                    read($c, $buf, $n + 2) or last;
                    push @a, substr($buf, 0, $n);
                }
                my $cmd = uc($a[0] // '');
                my $mode = $self->_get('mode');
                if ($cmd eq 'GET') {
                    my $g = $self->_get('gets');
                    $self->_put('gets', (length($g) ? $g : 0) + 1);
                }
                next if $mode eq 'silent';
                if ($mode eq 'loading') {
                    print {$c} "-LOADING Redis is loading the dataset "
                             . "in memory\r\n";
                } elsif ($mode eq 'noauth' && $cmd ne 'AUTH') {
                    print {$c} "-NOAUTH Authentication required.\r\n";
                } elsif ($cmd eq 'PING') {
                    print {$c} "+PONG\r\n";
                } elsif ($cmd eq 'GET') {
                    my $v = $self->_get('value');
                    print {$c} length($v) ? '$' . length($v) . "\r\n$v\r\n"
                                          : "\$-1\r\n";
                } elsif ($cmd eq 'PTTL') {
                    print {$c} ":-1\r\n";
                } else {
                    print {$c} "+OK\r\n";
                }
            }
            POSIX::_exit(0);
        }
        POSIX::_exit(0);
    }
    close $listen;
    $self->{pid} = $pid;
    return $self;
}

sub fake_stop {
    my ($self) = @_;
    return unless $self->{pid};
    # its per-connection children leave when nginx closes the connection
    kill 'KILL', $self->{pid};
    $self->_reap(2);
}


# ----------------------------------------------------------------------
# Background load: a forked client that posts uploads until stopped.
#
#   my $l = GraphAttach::Redis::load($t, path => '/graph/...', pause => 0.05);
#   ...
#   my @res = $l->stop;     # ({ t => start, dt => seconds, status => 201 })

sub load {
    my ($t, %opt) = @_;
    my $out = $t->servroot . "/tmp/load-" . int(rand(1e9));
    my $stop = "$out.stop";
    my $pid = fork;
    croak "fork: $!" unless defined $pid;
    if ($pid == 0) {
        srand();
        open(my $fh, '>', $out) or POSIX::_exit(1);
        $fh->autoflush(1);
        my $i = 0;
        until (-e $stop) {
            my $path = ref $opt{path} eq 'CODE' ? $opt{path}->($i)
                                                  : $opt{path};
            my $t0 = time;
            my $r = eval {
                $t->post(path => $path,
                         parts => [ { name => 'file',
                                      filename => "load-$i.txt",
                                      type => 'text/plain',
                                      data => "load $i" } ]);
            };
            my $dt = time - $t0;
            printf {$fh} "%.3f %.3f %d %s\n", $t0, $dt,
                $r ? $r->{status} : 0, $path;
            $i++;
            sleep $opt{pause} if $opt{pause};
        }
        close $fh;
        POSIX::_exit(0);
    }
    return bless { pid => $pid, out => $out, stopfile => $stop },
                 'GraphAttach::Redis::Load';
}

package GraphAttach::Redis::Load;

use Time::HiRes qw(sleep);

sub stop {
    my ($self) = @_;
    open(my $fh, '>', $self->{stopfile});
    close $fh;
    my $end = time + 60;
    while (waitpid($self->{pid}, POSIX::WNOHANG()) == 0 && time < $end) {
        sleep 0.05;
    }
    if (waitpid($self->{pid}, POSIX::WNOHANG()) == 0) {
        kill 'KILL', $self->{pid};
        waitpid($self->{pid}, 0);
    }
    open(my $in, '<', $self->{out}) or return ();
    my @res;
    while (<$in>) {
        my ($t0, $dt, $st, $path) = split ' ', $_, 4;
        chomp $path if defined $path;
        push @res, { t => $t0, dt => $dt, status => $st, path => $path };
    }
    close $in;
    unlink $self->{out}, $self->{stopfile};
    return @res;
}

sub DESTROY {
    my ($self) = @_;
    return unless $self->{pid};
    kill 'KILL', $self->{pid} if waitpid($self->{pid}, POSIX::WNOHANG()) == 0;
}

package GraphAttach::Redis;

sub DESTROY {
    my ($self) = @_;
    local $?;
    $self->{fake} ? $self->fake_stop : $self->stop;
}

1;
