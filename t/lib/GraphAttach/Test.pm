package GraphAttach::Test;

# A small test harness for ngx_http_graph_attach_module, in the spirit of
# Test::Nginx: each test file gets its own server root (t/servroot-NAME/),
# a real redis-server, the Graph stand-in (t/graph_standin.py) and a real
# nginx (/usr/sbin/nginx) with the module, all on free loopback ports.
#
#   use lib 't/lib';
#   use GraphAttach::Test;
#
#   my $t = GraphAttach::Test->new;
#   $t->start;                      # redis, stand-in, nginx (default conf)
#   $t->set_token('graph:token:t1', 'tok-1');
#   my $r = $t->post(path => '/graph/users/a@b.c/messages/AAMk=/attachments',
#                    parts => [ { name => 'file', filename => 'a.txt',
#                                 data => 'hello' } ]);
#   is($r->{status}, 201);
#   my ($rec) = $t->graph_records;
#   $t->done_testing;               # stops nginx, checks logs, done_testing
#
# Environment:
#   TEST_NGINX_VALGRIND=1   nginx under valgrind (master_process off)
#   TEST_NGINX_DEBUG=1      error_log at debug level
#   TEST_NGINX_BINARY       nginx binary (default /usr/sbin/nginx)
#   TEST_NGINX_KEEP=1       keep the servroot after a passing run
#   TEST_GRAPH_ATTACH_MODULE path of the .so (default build/...so)
#   TEST_NGINX_SERVROOT_BASE directory for the servroots (default t/)

use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use Encode ();
use Exporter qw(import);
use File::Basename qw(basename dirname);
use File::Path qw(make_path remove_tree);
use IO::Socket::INET;
use JSON::PP ();
use MIME::Base64 qw(decode_base64);
use POSIX qw(WNOHANG);
use Test::More ();
use Time::HiRes qw(sleep time);

use GraphAttach::Test::Conn;

our @EXPORT = qw(multipart decode_json encode_json is_guid file_bytes
                 random_bytes bytes_is canon_path
                 graph_name graph_location);

our $ROOT = abs_path(dirname(__FILE__) . '/../../..');
our $NGINX = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
our $MODULE = $ENV{TEST_GRAPH_ATTACH_MODULE}
    || "$ROOT/build/ngx_http_graph_attach_module.so";
our $PYTHON = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';
our $VALGRIND = $ENV{TEST_NGINX_VALGRIND} ? 1 : 0;
our $DEBUG = $ENV{TEST_NGINX_DEBUG} ? 1 : 0;

# Everything waits this many times longer under valgrind.
our $SLOW = $VALGRIND ? 15 : 1;

my $JSON = JSON::PP->new->utf8->canonical;

# Every harness object alive, for END and signal cleanup.
my @LIVE;

END {
    my $status = $?;
    $_->_kill_all for grep { defined } @LIVE;
    $? = $status;
}

for my $sig (qw(INT TERM HUP)) {
    $SIG{$sig} = sub {
        $_->_kill_all for grep { defined } @LIVE;
        $SIG{$sig} = 'DEFAULT';
        kill $sig, $$;
        exit 1;
    };
}


# ----------------------------------------------------------------------
# Construction

sub new {
    my ($class, %opt) = @_;

    my $name = $opt{name} || basename($0, '.t');
    $name =~ s/[^A-Za-z0-9_.-]/_/g;

    my $self = bless {
        name       => $name,
        servroot   => ($ENV{TEST_NGINX_SERVROOT_BASE} || "$ROOT/t")
                      . "/servroot-$name",
        workers    => $opt{workers} || 2,
        secrets    => {},
        responses  => [],
        pids       => {},
        done       => 0,
    }, $class;

    if (!$opt{no_module} && !-f $MODULE) {
        Test::More::plan(skip_all => "$MODULE is not built (run make)");
    }

    remove_tree($self->{servroot});
    make_path(map { "$self->{servroot}/$_" }
              qw(conf logs html redis tmp));

    my @ports = free_ports(4);
    @{$self}{qw(port h2_port redis_port graph_port)} = @ports;

    push @LIVE, $self;
    return $self;
}

sub servroot { $_[0]{servroot} }
sub port { $_[0]{port} }
sub h2_port { $_[0]{h2_port} }
sub redis_port { $_[0]{redis_port} }
sub graph_port { $_[0]{graph_port} }
sub root { $ROOT }
sub valgrind { $VALGRIND }
sub slow { $SLOW }

sub url {
    my ($self, $path) = @_;
    return "http://127.0.0.1:$self->{port}$path";
}

# A graph_attach location for a test's server block: PREFIX, EXTRA
# directives, and the token key (graph:token:t1 unless given).
sub graph_location {
    my ($prefix, $extra, $key) = @_;
    $extra //= '';
    $key //= 'graph:token:t1';
    return <<"EOF";
        location $prefix {
            graph_attach on;
            graph_attach_token_key $key;
            $extra
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%\$graph_attach_uri;
        }
EOF
}


# Finds N free TCP ports on 127.0.0.1 by binding port 0.  A port handed
# out once is never handed out again in this process: it is closed until
# its user binds it, and the kernel may give it to the next bind of port
# 0 meanwhile (t/151's evil upload host once got nginx's HTTP/2 port).
my %HANDED_OUT;

sub free_ports {
    my ($n) = @_;
    my (@socks, @ports);
    for (1 .. 100 * $n) {
        last if @ports == $n;
        my $s = IO::Socket::INET->new(
            LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp',
            Listen => 1, ReuseAddr => 1,
        ) or croak "cannot bind a free port: $!";
        push @socks, $s;
        next if $HANDED_OUT{ $s->sockport }++;
        push @ports, $s->sockport;
    }
    close $_ for @socks;
    croak "cannot find $n free ports" if @ports < $n;
    return @ports;
}

# Starts Redis, the stand-in and nginx with the default configuration
# (options as for start_nginx).
sub start {
    my ($self, %opt) = @_;
    $self->start_redis(%opt);
    $self->start_graph;
    $self->start_nginx(%opt);
    return $self;
}


# ----------------------------------------------------------------------
# Processes

sub _spawn {
    my ($self, $tag, $out, @argv) = @_;

    my $pid = fork;
    croak "fork: $!" unless defined $pid;

    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $out or POSIX::_exit(127);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(127);
        { no warnings 'exec'; exec { $argv[0] } @argv; }
        POSIX::_exit(127);
    }

    $self->{pids}{$tag} = $pid;
    return $pid;
}

# Waits for a child to exit; returns its wait status or undef on timeout.
sub _reap {
    my ($self, $pid, $timeout) = @_;
    my $end = time + $timeout;
    while (time < $end) {
        my $r = waitpid($pid, WNOHANG);
        return $? if $r == $pid;
        return 0 if $r == -1;          # not our child any more
        sleep 0.02;
    }
    return undef;
}

# Polls CODE until it returns true or TIMEOUT seconds pass.
sub wait_for {
    my ($self, $code, $timeout) = @_;
    $timeout ||= 5;
    my $end = time + $timeout * $SLOW;
    while (time < $end) {
        my $v = eval { $code->() };
        return $v if $v;
        sleep 0.02;
    }
    return undef;
}

sub _alive {
    my ($self, $tag) = @_;
    my $pid = $self->{pids}{$tag} or return 0;
    return waitpid($pid, WNOHANG) == 0;
}

sub _stop {
    my ($self, $tag, $sig, $timeout) = @_;
    my $pid = delete $self->{pids}{$tag} or return 0;

    # The signal is sent again every 2 s: nginx in single-process mode
    # (under valgrind) can miss one that lands just before epoll_wait()
    # when no timer is pending, and then sleeps on.
    my $end = time + $timeout;
    while (time < $end) {
        kill $sig, $pid;
        my $st = $self->_reap($pid, $end - time < 2 ? $end - time : 2);
        return $st if defined $st;
    }

    Test::More::diag("$tag (pid $pid) did not exit on $sig: killing it");
    my @kids = _children_of($pid);
    kill 'KILL', $pid;
    kill 'KILL', @kids if @kids;
    $self->_reap($pid, 5);
    return -1;
}

# Pids whose parent is PID (nginx workers of a master).
sub _children_of {
    my ($ppid) = @_;
    my @kids;
    opendir(my $d, '/proc') or return;
    for my $p (grep { /^\d+$/ } readdir $d) {
        open(my $fh, '<', "/proc/$p/stat") or next;
        my $stat = <$fh> // '';
        close $fh;
        push @kids, $p if $stat =~ /\)\s+\S+\s+(\d+)/ && $1 == $ppid;
    }
    closedir $d;
    return @kids;
}

sub _kill_all {
    my ($self) = @_;
    return unless $self->{pids};
    if ($self->{pids}{nginx}) {
        $self->_stop('nginx', 'QUIT', 10 * $SLOW);
    }
    for my $tag (keys %{ $self->{pids} }) {
        $self->_stop($tag, 'TERM', 5);
    }
}

sub DESTROY {
    my ($self) = @_;
    local $?;
    $self->_kill_all;
}


# ----------------------------------------------------------------------
# Redis

sub redis_address {
    my ($self) = @_;
    return "unix:$self->{redis_unix}" if $self->{redis_unix};
    return "127.0.0.1:$self->{redis_port}";
}

# Starts redis-server (no config file).  Options: redis_unix => 1 adds
# a unix socket (then redis_address() names it); redis_password => 'pw'
# sets requirepass (the harness's own client then sends AUTH);
# redis_args => [...] adds arguments.  Called again after stop_redis,
# it restarts on the same port with the same options.
sub start_redis {
    my ($self, %opt) = @_;

    $self->{redis_unix} = "$self->{servroot}/redis/redis.sock"
        if $opt{redis_unix};
    $self->{redis_password} = $opt{redis_password}
        if exists $opt{redis_password};
    $self->{redis_args} = $opt{redis_args} if $opt{redis_args};

    my @argv = ('redis-server',
                '--port', $self->{redis_port},
                '--bind', '127.0.0.1',
                '--save', '',
                '--appendonly', 'no',
                '--dir', "$self->{servroot}/redis",
                '--daemonize', 'no');
    push @argv, '--unixsocket', $self->{redis_unix},
                '--unixsocketperm', '777'
        if $self->{redis_unix};
    push @argv, '--requirepass', $self->{redis_password}
        if defined $self->{redis_password};
    push @argv, @{ $self->{redis_args} } if $self->{redis_args};

    $self->_spawn('redis', "$self->{servroot}/logs/redis.log", @argv);

    $self->wait_for(sub { ($self->redis('PING') // '') eq 'PONG' }, 10)
        or croak "redis-server did not start: see "
                 . "$self->{servroot}/logs/redis.log";
    return $self;
}

sub stop_redis {
    my ($self) = @_;
    close $self->{redis_sock} if $self->{redis_sock};
    delete $self->{redis_sock};
    $self->_stop('redis', 'TERM', 10);
}

# SIGSTOP / SIGCONT: a stalled Redis.
sub pause_redis { kill 'STOP', $_[0]{pids}{redis} }
sub resume_redis { kill 'CONT', $_[0]{pids}{redis} }

# Sends one command; returns the reply (string, integer, array ref or
# undef for nil).  Error replies croak.
sub redis {
    my ($self, @args) = @_;

    for my $try (1, 2) {
        my $s = $self->{redis_sock};
        if (!$s) {
            $s = IO::Socket::INET->new(
                PeerAddr => '127.0.0.1', PeerPort => $self->{redis_port},
                Proto => 'tcp', Timeout => 2,
            ) or return undef;
            if (defined $self->{redis_password}) {
                my $pw = $self->{redis_password};
                print {$s} "*2\r\n\$4\r\nAUTH\r\n\$" . length($pw)
                           . "\r\n$pw\r\n";
                my $ok = eval { _resp_read($s) };
                return undef unless defined $ok && $ok eq 'OK';
            }
            $self->{redis_sock} = $s;
        }

        my $cmd = '*' . scalar(@args) . "\r\n";
        $cmd .= '$' . length($_) . "\r\n$_\r\n" for @args;

        my $reply = eval {
            local $SIG{ALRM} = sub { die "redis timeout\n" };
            alarm 5;
            print {$s} $cmd or die "redis write: $!\n";
            my $r = _resp_read($s);
            alarm 0;
            $r;
        };
        alarm 0;
        if ($@) {
            delete $self->{redis_sock};
            croak $@ if $@ =~ /^REDIS ERROR/;
            next;
        }
        return $reply;
    }
    return undef;
}

sub _resp_read {
    my ($s) = @_;
    my $line = <$s>;
    die "redis closed\n" unless defined $line;
    $line =~ s/\r\n\z//;
    my ($type, $rest) = (substr($line, 0, 1), substr($line, 1));
    return $rest if $type eq '+';
    return $rest + 0 if $type eq ':';
    die "REDIS ERROR $rest\n" if $type eq '-';
    if ($type eq '$') {
        return undef if $rest < 0;
        my $buf = '';
        while (length($buf) < $rest + 2) {
            my $n = read($s, $buf, $rest + 2 - length($buf), length($buf));
            die "redis closed\n" unless $n;
        }
        return substr($buf, 0, $rest);
    }
    if ($type eq '*') {
        return undef if $rest < 0;
        return [ map { _resp_read($s) } 1 .. $rest ];
    }
    die "bad redis reply: $line\n";
}

# Stores a token under KEY.  VALUE is the raw token, or a hash ref that
# is stored as JSON ({access_token => ..., expires_on => ...}).  The
# token is remembered as a secret that must never leak.
sub set_token {
    my ($self, $key, $value, @ttl) = @_;
    my $tok = ref $value ? $value->{access_token} : $value;
    $self->secret($tok) if defined $tok && length $tok;
    my $stored = ref $value ? $JSON->encode($value) : $value;
    return $self->redis('SET', $key, $stored, @ttl);
}

sub del_key { my ($self, $key) = @_; $self->redis('DEL', $key) }

# Number of GET calls Redis has served (INFO commandstats).
sub redis_get_calls {
    my ($self) = @_;
    my $info = $self->redis('INFO', 'commandstats') // '';
    return $info =~ /^cmdstat_get:calls=(\d+)/m ? $1 + 0 : 0;
}

sub redis_reset_stats { $_[0]->redis('CONFIG', 'RESETSTAT') }


# ----------------------------------------------------------------------
# Graph stand-in

sub start_graph {
    my ($self, @tokens) = @_;
    # upload sessions keep their bytes under the servroot
    local $ENV{GRAPH_STANDIN_TMPDIR} = "$self->{servroot}/tmp";
    $self->_spawn('graph', "$self->{servroot}/logs/graph.log",
                  $PYTHON, "$ROOT/t/graph_standin.py", $self->{graph_port});
    $self->wait_for(sub {
        my $r = $self->graph_call('GET', '/_health');
        $r && $r->{status} == 200;
    }, 10) or croak "graph stand-in did not start: see "
                    . "$self->{servroot}/logs/graph.log";
    $self->graph_tokens(@tokens) if @tokens;
    return $self;
}

sub stop_graph { $_[0]->_stop('graph', 'TERM', 5) }

# A control call to the stand-in; returns the response hash.
sub graph_call {
    my ($self, $method, $path, $body) = @_;
    my $req = "$method $path HTTP/1.1\r\nHost: standin\r\n"
            . "Connection: close\r\n";
    if (defined $body) {
        $body = $JSON->encode($body) if ref $body;
        $req .= "Content-Type: application/json\r\n"
              . "Content-Length: " . length($body) . "\r\n\r\n$body";
    } else {
        $req .= "\r\n";
    }
    my $c = GraphAttach::Test::Conn->new(port => $self->{graph_port},
                                         timeout => 10)
        or return undef;
    $c->send($req);
    return $c->read_response;
}

# Sets the tokens the stand-in accepts (replacing the set).  Each one
# becomes a secret.
sub graph_tokens {
    my ($self, @tokens) = @_;
    $self->secret($_) for @tokens;
    $self->graph_call('PUT', '/_tokens', \@tokens);
}

# Queues a canned answer for the next attachment request:
# { status => 429, headers => { 'Retry-After' => '2.128' },
#   json => {...} | body => '...', delay => seconds, close => 1 }
sub graph_queue {
    my ($self, %canned) = @_;
    $self->graph_call('POST', '/_queue', \%canned);
}

# Forgets records, queued answers, upload sessions, upload faults, the
# request ids of graph_reply_ids() and what messages hold (the tokens
# and the upload settings stay).
sub graph_clear {
    my ($self) = @_;
    $self->graph_call('DELETE', '/_records');
    $self->graph_call('DELETE', '/_queue');
    $self->graph_call('DELETE', '/_reply_ids');
    $self->graph_call('DELETE', '/_sessions');
    $self->graph_call('DELETE', '/_upload_faults');
    $self->graph_call('DELETE', '/_attachments');
}

# Upload sessions the stand-in handed out, oldest first (see the top of
# t/graph_standin.py for the fields).  Each authtoken becomes a secret.
sub graph_sessions {
    my ($self) = @_;
    my $r = $self->graph_call('GET', '/_sessions') or croak "stand-in gone";
    my $list = $JSON->decode($r->{body});
    $self->secret($_->{authtoken}) for @$list;
    return @$list;
}

# The bytes a session has stored so far (undef for an unknown session).
sub graph_session_file {
    my ($self, $id) = @_;
    my $c = GraphAttach::Test::Conn->new(port => $self->{graph_port},
                                         timeout => 60)
        or croak "stand-in gone";
    $c->send("GET /_sessions/$id/file HTTP/1.1\r\nHost: standin\r\n"
             . "Connection: close\r\n\r\n");
    my $r = $c->read_response(raw => 1) or croak "stand-in gone";
    return $r->{status} == 200 ? $r->{body} : undef;
}

# Adds upload faults: graph_upload_faults({ range => 2, status => 503,
# retry_after => '1' }, { create => JSON::PP::true, drop => 'early' }).
# Returns the response (400 with {"error"} for a fault it does not take).
sub graph_upload_faults {
    my ($self, @faults) = @_;
    $self->graph_call('POST', '/_upload_faults', \@faults);
}

# ----------------------------------------------------------------------
# What a message or event holds (see "Item attachments, and what a
# message holds" in t/graph_standin.py).  PATH is its attachment path as
# Graph sees it (/v1.0/users/u/messages/m/attachments, any shape) or as
# the gateway's client sends it (/graph/users/u/messages/m/attachments:
# whatever precedes /users/ becomes /v1.0); a trailing /createUploadSession
# or /{attachment id} is allowed.

sub _graph_attachment_path {
    my ($path) = @_;
    $path =~ s{^.*?(?=/users/)}{/v1.0} unless $path =~ m{^/(?:v1\.0|beta)/};
    $path =~ s{\?.*}{}s;
    return $path;
}

# The message's or event's state: { user, parent, parent_id, attempts,
# attachments => [...], deleted => [...] }, each attachment with id, name,
# contentType, size, isInline, contentId, length, sha256 (of the file;
# undef for an item), via ("post" or "session"), item (an item's JSON).
sub graph_message_state {
    my ($self, $path) = @_;
    my $q = _graph_attachment_path($path);
    $q =~ s{([^A-Za-z0-9_.~/\-])}{sprintf('%%%02X', ord $1)}ge;
    my $r = $self->graph_call('GET', "/_attachments?path=$q")
        or croak "stand-in gone";
    croak "graph_message_state: $r->{body}" unless $r->{status} == 200;
    return $JSON->decode($r->{body});
}

# The attachments the message or event at PATH holds now, oldest first.
sub graph_message_attachments {
    my ($self, $path) = @_;
    return @{ $self->graph_message_state($path)->{attachments} };
}

# Every message and event that had an attachment POST.
sub graph_all_attachments {
    my ($self) = @_;
    my $r = $self->graph_call('GET', '/_attachments') or croak "stand-in gone";
    return @{ $JSON->decode($r->{body}) };
}

# Adds faults on attachment POSTs: graph_attachment_faults({ attachment =>
# 2, status => 503, retry_after => '1' }): the second POST that would
# create an attachment in a message (simple or createUploadSession,
# retries counted).  The same list as graph_upload_faults().
sub graph_attachment_faults {
    my ($self, @faults) = @_;
    $self->graph_call('POST', '/_upload_faults', \@faults);
}

# What the stand-in's answers say in their request-id and
# client-request-id headers from now on: graph_reply_ids(request_id =>
# "bytes", client_request_id => "bytes"); a list for several request-id
# headers, undef for none; no argument: Graph's own again.
sub graph_reply_ids {
    my ($self, %ids) = @_;
    return $self->graph_call('DELETE', '/_reply_ids') unless %ids;
    $self->graph_call('PUT', '/_reply_ids', \%ids);
}

# Changes upload settings (origin, url_style, ranges_form, location,
# min_size, max_size, max_chunk) for the sessions created afterwards;
# graph_upload_config() with no argument restores the defaults.
sub graph_upload_config {
    my ($self, %cfg) = @_;
    return $self->graph_call('DELETE', '/_upload_config') unless %cfg;
    $self->graph_call('PUT', '/_upload_config', \%cfg);
}

# What the stand-in received, oldest first.  Each record has method,
# path, version, headers (hash, lower-case names, repeated ones joined
# with ", "), header_list ([name, value] pairs as received), body (raw
# bytes), status, error_code and, when the body is a JSON object, json
# and file (contentBytes decoded).
sub graph_records {
    my ($self) = @_;
    my $r = $self->graph_call('GET', '/_records') or croak "stand-in gone";
    my $list = $JSON->decode($r->{body});
    for my $rec (@$list) {
        $rec->{header_list} = $rec->{headers};
        my %h;
        for my $p (@{ $rec->{header_list} }) {
            my $k = lc $p->[0];
            $h{$k} = exists $h{$k} ? "$h{$k}, $p->[1]" : $p->[1];
        }
        $rec->{headers} = \%h;
        $rec->{body} = decode_base64($rec->{body_b64});
        my $j = eval { $JSON->decode($rec->{body}) };
        if (ref $j eq 'HASH') {
            $rec->{json} = $j;
            $rec->{file} = decode_base64($j->{contentBytes})
                if defined $j->{contentBytes} && !ref $j->{contentBytes};
        }
    }
    return @$list;
}


# ----------------------------------------------------------------------
# nginx

# Configuration.  start_nginx(%opt) writes conf/nginx.conf from:
#   conf     => a whole config (then none of the below apply)
#   http     => extra directives at http level
#   server   => extra directives in the server
#   location => replaces the body of "location /graph/ { }"
#   location_extra => appended to the default location body
#   key      => graph_attach_token_key (default graph:token:t1)
#   max_size => graph_attach_max_size (default: not set)
#   workers  => worker_processes (default 2)
# In all of them %%PORT%%, %%H2_PORT%%, %%GRAPH_PORT%%, %%REDIS_PORT%%,
# %%REDIS%% (address for graph_attach_redis), %%SERVROOT%%, %%ROOT%%,
# %%MODULE%% are replaced.

sub default_location {
    my ($self, %opt) = @_;
    my $key = $opt{key} // 'graph:token:t1';
    my $loc = "graph_attach on;\n"
            . "            graph_attach_token_key $key;\n";
    $loc .= "            graph_attach_max_size $opt{max_size};\n"
        if defined $opt{max_size};
    $loc .= "            proxy_pass "
          . "http://127.0.0.1:%%GRAPH_PORT%%\$graph_attach_uri;\n";
    $loc .= "            $opt{location_extra}\n" if $opt{location_extra};
    return $loc;
}

sub nginx_conf {
    my ($self, %opt) = @_;

    my $workers = $opt{workers} || $self->{workers};
    my $level = $DEBUG ? 'debug' : 'info';
    my $main = $VALGRIND
        ? "master_process off;\n"
        : "worker_processes $workers;\n";
    $main .= "user root;\n" if $> == 0 && !$VALGRIND;

    my $conf = $opt{conf};
    if (!defined $conf) {
        my $loc = $opt{location} // $self->default_location(%opt);
        my $http = $opt{http} // '';
        my $server = $opt{server} // '';
        $conf = <<"EOF";
load_module %%MODULE%%;

events {
    worker_connections 512;
}

http {
    log_format graphtest '\$remote_addr "\$request" \$status \$server_protocol '
                         'te="\$http_transfer_encoding" expect="\$http_expect" '
                         'in=\$request_length out=\$bytes_sent';
    access_log %%SERVROOT%%/logs/access.log graphtest;

    client_body_temp_path %%SERVROOT%%/tmp/client_body;
    proxy_temp_path %%SERVROOT%%/tmp/proxy;
    fastcgi_temp_path %%SERVROOT%%/tmp/fastcgi;
    uwsgi_temp_path %%SERVROOT%%/tmp/uwsgi;
    scgi_temp_path %%SERVROOT%%/tmp/scgi;

    graph_attach_redis %%REDIS%%;

$http

    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%H2_PORT%% http2;
        server_name localhost;

        location /graph/ {
            $loc
        }

        location / {
            root %%ROOT%%/t/clients/browser;
        }

        location = /favicon.ico {
            return 204;
        }

$server
    }
}
EOF
    }

    my $head = "# generated by GraphAttach::Test for $self->{name}\n"
             . "daemon off;\n$main"
             . "pid %%SERVROOT%%/logs/nginx.pid;\n"
             . "error_log %%SERVROOT%%/logs/error.log $level;\n";

    $conf = $head . $conf;
    return $self->_subst($conf);
}

sub _subst {
    my ($self, $text) = @_;
    my %v = (
        PORT       => $self->{port},
        H2_PORT    => $self->{h2_port},
        GRAPH_PORT => $self->{graph_port},
        REDIS_PORT => $self->{redis_port},
        REDIS      => $self->redis_address,
        SERVROOT   => $self->{servroot},
        ROOT       => $ROOT,
        MODULE     => $MODULE,
    );
    $text =~ s/%%([A-Z0-9_]+)%%/exists $v{$1} ? $v{$1} : "%%$1%%"/ge;
    return $text;
}

sub start_nginx {
    my ($self, %opt) = @_;

    my $conf = $self->nginx_conf(%opt);
    my $file = "$self->{servroot}/conf/nginx.conf";
    open(my $fh, '>', $file) or croak "$file: $!";
    print {$fh} $conf;
    close $fh;

    # Config test first: a clear message instead of a timeout.
    my $out = `$NGINX -p $self->{servroot}/ -c $file -t 2>&1`;
    if ($? != 0) {
        Test::More::ok(0, 'nginx -t accepts the configuration');
        Test::More::diag("nginx -t failed:\n$out");
        croak "nginx configuration test failed";
    }

    my @argv = ($NGINX, '-p', "$self->{servroot}/", '-c', $file);
    if ($VALGRIND) {
        unshift @argv, 'valgrind', '-q', '--leak-check=full',
            '--show-leak-kinds=definite,indirect',
            '--errors-for-leak-kinds=definite',
            '--error-exitcode=42', '--num-callers=40',
            '--trace-children=no',
            "--suppressions=$ROOT/t/valgrind.supp",
            "--log-file=$self->{servroot}/logs/valgrind.%p";
    }
    $self->_spawn('nginx', "$self->{servroot}/logs/nginx.out", @argv);

    my $ok = $self->wait_for(sub {
        die "nginx exited\n" unless $self->_alive('nginx');
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $self->{port},
                                      Proto => 'tcp', Timeout => 1);
        $s ? 1 : 0;
    }, 10);
    if (!$ok) {
        Test::More::ok(0, 'nginx starts');
        Test::More::diag("nginx did not start:\n"
                         . $self->slurp('logs/nginx.out')
                         . $self->slurp('logs/error.log'));
        croak "nginx did not start";
    }
    # Every worker is up (the listen socket answers as soon as one is).
    $self->wait_for(sub {
        scalar(_children_of($self->{pids}{nginx}))
            >= ($opt{workers} || $self->{workers});
    }, 5) unless $VALGRIND;
    return $self;
}

# Graceful stop (QUIT); returns the wait status.
sub stop_nginx {
    my ($self) = @_;
    return $self->_stop('nginx', 'QUIT', 20 * $SLOW);
}

sub reload_nginx {
    my ($self) = @_;
    kill 'HUP', $self->{pids}{nginx};
}

sub nginx_pid { $_[0]{pids}{nginx} }
sub nginx_workers { _children_of($_[0]{pids}{nginx}) }

# Open file descriptors per process: { pid => count } for the workers
# (or the single process under valgrind), to compare with a baseline.
sub nginx_fd_counts {
    my ($self) = @_;
    my @pids = $VALGRIND ? ($self->{pids}{nginx}) : $self->nginx_workers;
    my %n;
    for my $p (@pids) {
        opendir(my $d, "/proc/$p/fd") or next;
        $n{$p} = scalar grep { /^\d+$/ } readdir $d;
        closedir $d;
    }
    return \%n;
}

sub slurp {
    my ($self, $rel) = @_;
    my $f = $rel =~ m{^/} ? $rel : "$self->{servroot}/$rel";
    open(my $fh, '<:raw', $f) or return '';
    local $/;
    my $d = <$fh>;
    return $d // '';
}

# The last access log line (format graphtest: request, status, protocol,
# te="...", expect="...", in=, out=).
sub last_access {
    my ($self) = @_;
    my @l = split /\n/, $self->slurp('logs/access.log');
    return $l[-1] // '';
}

# Error log offsets: my $m = $t->log_mark; ...; $t->log_since($m).
sub log_mark { -s "$_[0]{servroot}/logs/error.log" || 0 }

sub log_since {
    my ($self, $mark) = @_;
    return substr($self->slurp('logs/error.log'), $mark // 0);
}


# ----------------------------------------------------------------------
# Client side: raw requests

sub connect {
    my ($self, %opt) = @_;
    my $c = GraphAttach::Test::Conn->new(
        port => $opt{port} || $self->{port},
        timeout => ($opt{timeout} || 10) * $SLOW,
    );
    croak "cannot connect to nginx: $!" unless $c;
    return $c;
}

# Sends raw bytes on a new connection and reads one response (or COUNT
# responses for pipelining).  raw => bytes, or chunks => [bytes, ...]
# sent with delay => seconds between them.  Returns the response hash
# (or a list of them): status, reason, version, headers (lower-case
# names), header_list, body, raw, json (when the body is JSON).
sub request {
    my ($self, %opt) = @_;
    my $c = $self->connect(%opt);
    my @chunks = $opt{chunks} ? @{ $opt{chunks} } : ($opt{raw});
    for my $i (0 .. $#chunks) {
        $c->send($chunks[$i]) or last;
        sleep $opt{delay} if $opt{delay} && $i < $#chunks;
    }
    my $count = $opt{count} || 1;
    my @res;
    for (1 .. $count) {
        my $r = $c->read_response(no_body => $opt{head});
        last unless $r;
        $self->seen($r);
        push @res, $r;
    }
    $c->close;
    return wantarray ? @res : $res[0];
}

# Builds a multipart request.  Options:
#   path, method (POST), headers ({name => value} or [[n, v], ...]),
#   parts (see multipart()), boundary, body (instead of parts),
#   content_type (instead of the multipart one), chunked => 1,
#   no_length => 1, keepalive => 1, http10 => 1
sub build_request {
    my ($self, %opt) = @_;

    my $method = $opt{method} || 'POST';
    my $path = $opt{path} || '/graph/users/alice@contoso.com/messages/'
                           . 'AAMkAGI1AAA=/attachments';
    my ($ct, $body);
    if (defined $opt{body}) {
        $body = $opt{body};
        $ct = $opt{content_type};
    } elsif ($opt{parts}) {
        ($ct, $body) = multipart(parts => $opt{parts},
                                 boundary => $opt{boundary});
        $ct = $opt{content_type} if exists $opt{content_type};
    } else {
        $body = '';
        $ct = $opt{content_type};
    }

    my $version = $opt{http10} ? 'HTTP/1.0' : 'HTTP/1.1';
    my $req = "$method $path $version\r\nHost: localhost\r\n";
    $req .= "Content-Type: $ct\r\n" if defined $ct;

    my @h = ref $opt{headers} eq 'ARRAY' ? @{ $opt{headers} }
          : map { [ $_, $opt{headers}{$_} ] } sort keys %{ $opt{headers} || {} };
    $req .= "$_->[0]: $_->[1]\r\n" for @h;

    if ($opt{chunked}) {
        $req .= "Transfer-Encoding: chunked\r\n";
        my $size = $opt{chunk_size} || 4096;
        my $enc = '';
        for (my $o = 0; $o < length $body; $o += $size) {
            my $piece = substr($body, $o, $size);
            $enc .= sprintf("%x\r\n", length $piece) . "$piece\r\n";
        }
        $body = $enc . "0\r\n\r\n";
    } elsif (!$opt{no_length}
             && ($method ne 'GET' || length $body))
    {
        $req .= "Content-Length: " . length($body) . "\r\n";
    }
    $req .= "Connection: close\r\n" unless $opt{keepalive} || $opt{http10};
    $req .= "\r\n";
    return $req . $body;
}

# build_request + request.  split => N sends the request in pieces of N
# bytes with delay between them (default 0.001 s).
sub post {
    my ($self, %opt) = @_;
    my $raw = $self->build_request(%opt);
    if ($opt{split}) {
        my @chunks = map { substr($raw, $_ * $opt{split}, $opt{split}) }
                     0 .. int((length($raw) - 1) / $opt{split});
        return $self->request(chunks => \@chunks,
                              delay => $opt{delay} // 0.001, %opt);
    }
    return $self->request(raw => $raw, %opt);
}


# ----------------------------------------------------------------------
# Client side: external programs

# Runs a command with a timeout; returns (exit status, stdout, stderr).
# stdout is recorded for the token leak check.
sub run {
    my ($self, %opt) = @_;
    my @cmd = @{ $opt{cmd} };
    my $timeout = ($opt{timeout} || 30) * $SLOW;
    my $out = "$self->{servroot}/tmp/run.$$.out";
    my $err = "$self->{servroot}/tmp/run.$$.err";

    my $pid = fork;
    croak "fork: $!" unless defined $pid;
    if ($pid == 0) {
        %ENV = (%ENV, %{ $opt{env} || {} });
        chdir $opt{dir} if $opt{dir};
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $out or POSIX::_exit(127);
        open STDERR, '>', $err or POSIX::_exit(127);
        { no warnings 'exec'; exec { $cmd[0] } @cmd; }
        POSIX::_exit(127);
    }
    $self->{pids}{"run-$pid"} = $pid;
    my $st = $self->_reap($pid, $timeout);
    delete $self->{pids}{"run-$pid"};
    if (!defined $st) {
        kill 'KILL', $pid;
        $self->_reap($pid, 5);
        $st = -1;
        Test::More::diag("timeout after ${timeout}s: @cmd");
    }
    my $o = $self->slurp($out);
    my $e = $self->slurp($err);
    unlink $out, $err;
    $self->seen_text($o);
    $self->seen_text($e);
    return ($st, $o, $e);
}

# curl with the given arguments; returns a response hash like request().
# The last header block is used (after 100 Continue).
# The machine's Chromium, or undef (then the browser tests skip).
sub chromium {
    my ($c) = grep { -x } map { "$_/chromium" } split /:/, $ENV{PATH};
    return $c;
}

# Opens PATH (a page of t/clients/browser/ with its query) in headless
# Chromium, which writes RESULT:<base64 of a JSON object>:END into the
# page; returns that object, or { status => 0 } and Chromium's stderr as
# a diag.  budget: Chromium's virtual time in ms (10000).
sub browse_page {
    my ($self, $path, %o) = @_;
    my $chromium = chromium() or return { status => 0 };
    my $profile = "$self->{servroot}/chromium-" . int(rand(1e9));
    make_path($profile);
    my ($st, $out, $err) = $self->run(cmd => [
        $chromium, '--headless', '--no-sandbox', '--disable-gpu',
        '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync',
        '--disable-dev-shm-usage', "--user-data-dir=$profile",
        '--virtual-time-budget=' . ($o{budget} // 10000), '--dump-dom',
        $self->url($path),
    ], env => { HOME => $profile }, timeout => $o{timeout} // 90);
    my ($b64) = $out =~ /RESULT:([A-Za-z0-9+\/=]+):END/;
    Test::More::diag("chromium exit $st: " . substr($err, -2000)) unless $b64;
    return $b64 ? $JSON->decode(decode_base64($b64)) : { status => 0 };
}

sub curl {
    my ($self, @args) = @_;
    my $hdr = "$self->{servroot}/tmp/curl.headers";
    my $body = "$self->{servroot}/tmp/curl.body";
    unlink $hdr, $body;
    my ($st, $out, $err) = $self->run(cmd => [
        'curl', '-sS', '--max-time', 30 * $SLOW, '-D', $hdr, '-o', $body,
        @args,
    ], timeout => 40);
    my $r = parse_head($self->slurp($hdr));
    $r->{body} = $self->slurp($body);
    $r->{curl_exit} = $st >> 8;
    $r->{curl_stderr} = $err;
    $r->{json} = eval { $JSON->decode($r->{body}) };
    $self->seen($r);
    return $r;
}

# Parses a response head (possibly several blocks: 100 Continue, then
# the real one); returns the last block as a hash.
sub parse_head {
    my ($text) = @_;
    my @blocks = grep { /\S/ } split /\r?\n\r?\n/, $text;
    my $last = $blocks[-1] // '';
    my @lines = split /\r?\n/, $last;
    my $status_line = shift(@lines) // '';
    my ($version, $status, $reason) =
        $status_line =~ m{^(HTTP/[\d.]+)\s+(\d+)\s*(.*)$};
    my (%h, @list);
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*)$/;
        next unless defined $k;
        push @list, [$k, $v];
        $k = lc $k;
        $h{$k} = exists $h{$k} ? "$h{$k}, $v" : $v;
    }
    return { version => $version, status => ($status // 0) + 0,
             reason => $reason, headers => \%h, header_list => \@list,
             raw_head => $text, blocks => scalar @blocks };
}


# ----------------------------------------------------------------------
# Secrets: tokens must never appear in a response or a log.

sub secret {
    my ($self, $s) = @_;
    $self->{secrets}{$s} = 1 if defined $s && length $s >= 6;
}

sub seen {
    my ($self, $r) = @_;
    return unless $r;
    $self->seen_text(($r->{raw_head} // '') . ($r->{raw} // '')
                     . ($r->{body} // ''));
}

sub seen_text {
    my ($self, $text) = @_;
    push @{ $self->{responses} }, $text if defined $text && length $text;
}

sub _check_secrets {
    my ($self) = @_;
    my @secrets = keys %{ $self->{secrets} };
    return unless @secrets;

    my @leaks;
    my $i = 0;
    for my $text (@{ $self->{responses} }) {
        $i++;
        for my $s (@secrets) {
            push @leaks, "response #$i contains token '$s'"
                if index($text, $s) >= 0;
        }
    }

    opendir(my $d, "$self->{servroot}/logs")
        or return Test::More::fail("logs directory is gone: $!");
    for my $f (sort grep { !/^\./ } readdir $d) {
        my $text = $self->slurp("logs/$f");
        $text = _strip_proxy_debug($text) if $DEBUG && $f eq 'error.log';
        for my $s (@secrets) {
            next if index($text, $s) < 0;
            my @lines = grep { index($_, $s) >= 0 } split /\n/, $text;
            push @leaks, "logs/$f contains token '$s': $lines[0]";
        }
    }
    closedir $d;

    Test::More::ok(!@leaks, 'no token in any response or log')
        or Test::More::diag(join "\n", @leaks[0 .. ($#leaks > 9 ? 9 : $#leaks)]);
}

# At debug level nginx's proxy module prints the upstream request head,
# Authorization included (documented); those lines are not the module's.
sub _strip_proxy_debug {
    my ($text) = @_;
    $text =~ s/http proxy header:\n".*?\n"\n//sg;
    $text =~ s/^.*http proxy header: "Authorization:.*\n//mg;
    return $text;
}


# ----------------------------------------------------------------------
# Teardown

sub done_testing {
    my ($self, @n) = @_;
    $self->teardown;
    Test::More::done_testing(@n);
}

sub teardown {
    my ($self) = @_;
    return if $self->{done}++;

    if ($self->{pids}{nginx}) {
        my $alive = $self->_alive('nginx');
        Test::More::ok($alive, 'nginx still running at teardown');
        my $st = $self->stop_nginx;
        Test::More::ok(defined $st && $st != -1, 'nginx stopped on QUIT')
            if $alive;
    }

    $self->_check_error_log;
    $self->_check_valgrind if $VALGRIND;
    $self->_check_secrets;

    $self->_kill_all;

    if (!$ENV{TEST_NGINX_KEEP} && Test::More->builder->is_passing) {
        remove_tree($self->{servroot});
    }
}

sub _check_error_log {
    my ($self) = @_;
    my $log = $self->slurp('logs/error.log');
    my @bad = grep {
        /\[(alert|emerg|crit)\]/ || /segfault|AddressSanitizer|
          exited\ on\ signal|runtime\ error:/x
    } split /\n/, $log;
    @bad = grep { !$self->_allowed($_) } @bad;
    Test::More::ok(!@bad, 'error.log has no alert, crit, emerg or crash')
        or Test::More::diag(join "\n", @bad[0 .. ($#bad > 19 ? 19 : $#bad)]);
}

# Lines a test expects (rare): $t->allow_log(qr/.../).
sub allow_log {
    my ($self, $re) = @_;
    push @{ $self->{allowed} }, $re;
}

sub _allowed {
    my ($self, $line) = @_;
    for my $re (@{ $self->{allowed} || [] }) {
        return 1 if $line =~ $re;
    }
    return 0;
}

# valgrind: every error or "definitely lost" record with a frame in the
# module fails; the others are shown as notes.
sub _check_valgrind {
    my ($self) = @_;
    opendir(my $d, "$self->{servroot}/logs")
        or return Test::More::fail("logs directory is gone: $!");
    my @files = sort grep { /^valgrind\./ } readdir $d;
    closedir $d;

    my (@mine, @other);
    for my $f (@files) {
        my $text = $self->slurp("logs/$f");
        my @records = split /\n==\d+==\s*\n/, $text;
        for my $rec (@records) {
            next unless $rec =~ /Invalid (read|write|free)|uninitialised/
                     || $rec =~ /Mismatched|definitely lost|indirectly lost/
                     || $rec =~ /Syscall param|overlap|Process terminating/
                     || $rec =~ /invalid|Jump to/i;
            next if $rec =~ /^\S*\s*(HEAP|LEAK) SUMMARY/m
                    && $rec !~ /\bat 0x/;
            if ($rec =~ /graph_attach|\bga_[a-z0-9_]+\b|\/src\/ga_/) {
                push @mine, "$f:\n$rec";
            } else {
                push @other, "$f:\n$rec";
            }
        }
    }
    Test::More::ok(!@mine, 'valgrind: no error or leak from the module')
        or Test::More::diag(join "\n\n", @mine[0 .. ($#mine > 4 ? 4 : $#mine)]);
    Test::More::note("valgrind, outside the module:\n"
                     . join("\n\n", @other)) if @other;
}


# ----------------------------------------------------------------------
# Assertions on what reached the stand-in

my %ALLOWED_PROPS = map { $_ => 1 }
    ('@odata.type', qw(name contentBytes contentType isInline contentId));

# Upstream paths may spell '@' and '=' raw or percent-encoded: both are
# the same to Graph.
sub canon_path {
    my ($p) = @_;
    $p =~ s/%40/@/gi;
    $p =~ s/%3D/=/gi;
    return $p;
}

# Checks one record of the stand-in against what the client sent, as a
# subtest.  %want: label, token (required), data (file bytes), name,
# type (contentType), inline (0/1, default 0), content_id (undef: none),
# path (upstream path).
sub check_upstream {
    my ($self, $rec, %want) = @_;
    my $label = $want{label} // 'upload';

    Test::More::subtest("upstream: $label" => sub {
        if (!$rec) {
            Test::More::fail('a request reached the stand-in');
            return;
        }
        my $h = $rec->{headers};
        Test::More::is($rec->{method}, 'POST', 'method POST');
        Test::More::is(canon_path($rec->{path}), canon_path($want{path}),
                       'path') if defined $want{path};
        Test::More::is($h->{authorization}, "Bearer $want{token}",
                       'Authorization is the token from Redis');
        Test::More::is(scalar(grep { lc $_->[0] eq 'authorization' }
                              @{ $rec->{header_list} }), 1,
                       'one Authorization header');
        Test::More::ok(!exists $h->{cookie}, 'no Cookie forwarded');
        Test::More::like($h->{'content-type'} // '',
                         qr{^application/json\s*(;|$)}i,
                         'Content-Type application/json');
        Test::More::ok(!exists $h->{'transfer-encoding'}, 'not chunked');
        Test::More::is($h->{'content-length'}, length($rec->{body}),
                       'Content-Length is the body length');
        Test::More::ok(is_guid($h->{'client-request-id'}),
                       'client-request-id is a GUID')
            or Test::More::diag("client-request-id: "
                                . ($h->{'client-request-id'} // 'none'));
        Test::More::is($rec->{status}, 201, 'the stand-in accepted it')
            or Test::More::diag("stand-in said $rec->{status} "
                                . ($rec->{error_code} // ''));

        my $j = $rec->{json};
        Test::More::ok(ref $j eq 'HASH', 'body is a JSON object')
            or return;
        my @extra = grep { !$ALLOWED_PROPS{$_} } sort keys %$j;
        Test::More::ok(!@extra, 'no unexpected properties')
            or Test::More::diag("extra: @extra");
        Test::More::is($j->{'@odata.type'}, '#microsoft.graph.fileAttachment',
                       '@odata.type');
        Test::More::is($j->{name}, Encode::decode('UTF-8', $want{name}),
                       'name') if defined $want{name};
        Test::More::is($j->{contentType}, $want{type}, 'contentType')
            if exists $want{type};
        Test::More::ok(JSON::PP::is_bool($j->{isInline}),
                       'isInline is a JSON boolean');
        Test::More::is(($j->{isInline} ? 1 : 0), ($want{inline} ? 1 : 0),
                       'isInline value');
        if (defined $want{content_id}) {
            Test::More::is($j->{contentId}, $want{content_id}, 'contentId');
        } else {
            Test::More::ok(!exists $j->{contentId}, 'no contentId');
        }
        Test::More::unlike($j->{contentBytes} // '', qr/[\r\n ]/,
                           'contentBytes has no whitespace');
        bytes_is($rec->{file}, $want{data}, 'file bytes arrived exactly')
            if defined $want{data};
    });
}

# Compares two byte strings; on failure shows lengths and the first
# difference instead of megabytes of output.
sub bytes_is {
    my ($got, $want, $label) = @_;
    if (defined $got && $got eq $want) {
        return Test::More::pass($label);
    }
    Test::More::fail($label);
    if (!defined $got) {
        Test::More::diag('got nothing');
        return 0;
    }
    my $i = 0;
    my $n = length($got) < length($want) ? length($got) : length($want);
    $i++ while $i < $n && substr($got, $i, 1) eq substr($want, $i, 1);
    Test::More::diag(sprintf('got %d bytes, want %d; first difference at '
        . 'offset %d: got %s want %s', length $got, length $want, $i,
        unpack('H*', substr($got, $i, 16)), unpack('H*', substr($want, $i, 16))));
    return 0;
}

# Checks a module error response: status, JSON {"error":{"code",
# "message"}}, Content-Type application/json.  %want: status, code,
# label, allow (Allow header), retry_after (1 = must be present).
sub check_error {
    my ($self, $r, %want) = @_;
    my $label = $want{label} // "$want{status}";
    Test::More::subtest("error: $label" => sub {
        Test::More::is($r->{status}, $want{status}, "status $want{status}")
            or Test::More::diag("body: " . substr($r->{body} // '', 0, 300));
        Test::More::like($r->{headers}{'content-type'} // '',
                         qr{^application/json}i, 'Content-Type application/json');
        my $j = $r->{json};
        Test::More::ok(ref $j eq 'HASH' && ref $j->{error} eq 'HASH',
                       'body is {"error":{...}}')
            or return;
        Test::More::is($j->{error}{code}, $want{code}, "code $want{code}")
            if defined $want{code};
        Test::More::ok(defined $j->{error}{code} && length $j->{error}{code},
                       'has a code');
        Test::More::ok(defined $j->{error}{message}
                       && length $j->{error}{message}, 'has a message');
        Test::More::like($r->{headers}{allow} // '', qr/\bPOST\b/,
                         'Allow: POST') if $want{allow};
        Test::More::like($r->{headers}{'retry-after'} // '', qr/^\d+$/,
                         'Retry-After in seconds') if $want{retry_after};
    });
}

# Asserts that nothing reached the stand-in since the last graph_clear.
sub nothing_upstream {
    my ($self, $label) = @_;
    my @rec = $self->graph_records;
    Test::More::is(scalar @rec, 0, "nothing reached Graph: $label")
        or Test::More::diag("got: " . join ', ',
                            map { "$_->{method} $_->{path}" } @rec);
}


# ----------------------------------------------------------------------
# Helpers (exported)

# multipart(parts => [...], boundary => '...') -> (content type, body)
# A part is a hash: name, filename (optional), filename_star (raw value
# of filename*), type (Content-Type), data, or head => raw header lines
# (without the final CRLF) to write the part's headers yourself.
sub multipart {
    my (%opt) = @_;
    my $b = $opt{boundary} // '----GraphAttachTest' . int(rand(1e9));
    my $body = '';
    for my $p (@{ $opt{parts} }) {
        $body .= "--$b\r\n";
        if (defined $p->{head}) {
            $body .= "$p->{head}\r\n";
        } else {
            my $cd = qq{Content-Disposition: form-data; name="$p->{name}"};
            $cd .= qq{; filename="$p->{filename}"} if defined $p->{filename};
            $cd .= "; filename*=$p->{filename_star}"
                if defined $p->{filename_star};
            $body .= "$cd\r\n";
            $body .= "Content-Type: $p->{type}\r\n" if defined $p->{type};
        }
        $body .= "\r\n" . ($p->{data} // '') . "\r\n";
    }
    $body .= "--$b--\r\n";
    return ("multipart/form-data; boundary=$b", $body);
}

# The name Graph should get for a file name a client chose: directory
# parts stripped, as the name sanitising of issue 3 does ('back\slash.txt'
# becomes 'slash.txt').
sub graph_name {
    my ($name) = @_;
    $name =~ s{^.*[\\/]}{}s;
    return $name;
}

sub decode_json { $JSON->decode($_[0]) }
sub encode_json { $JSON->encode($_[0]) }

sub is_guid {
    my ($s) = @_;
    return defined $s
        && $s =~ /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
}

sub file_bytes {
    my ($path) = @_;
    open(my $fh, '<:raw', $path) or croak "$path: $!";
    local $/;
    return scalar <$fh>;
}

# Deterministic pseudo-random bytes (so failures reproduce).
sub random_bytes {
    my ($n, $seed) = @_;
    srand($seed // 42);
    my $b = pack('L*', map { int rand 4294967296 } 0 .. int($n / 4));
    srand();
    return substr($b, 0, $n);
}

1;
