package GraphAttach::Broker;

# What the token broker's tests (t/2NN-broker*.t) share, beside the
# harness: the token-endpoint stand-in (t/token_standin.py), broker
# processes (build/graph-attach-broker), their configuration files,
# credential files and certificates, all under the test's servroot.
#
#   my $t = GraphAttach::Test->new(no_module => 1);
#   $t->start_redis;
#   my $b = GraphAttach::Broker->new($t);        # starts the stand-in
#   my $secret = $b->secret_file('contoso');     # a random client secret
#   $b->configure(tenants => { $TENANT => { $CLIENT => { secret => $secret } } });
#   my $conf = $b->conf('a', tenants => [ { name => 'contoso', ... } ]);
#   $b->start_broker('a', $conf);
#   my $v = $b->wait_token('graph:token:contoso');
#   my @rec = $b->records;
#   $b->done;                                    # the brokers' own checks
#   $t->done_testing;
#
# Client secrets, assertions and issued tokens all become secrets of the
# harness: its teardown fails if any appears in a log under logs/
# (the brokers' logs included) or in a recorded response.

use strict;
use warnings;

use Carp qw(croak);
use File::Path qw(make_path);
use JSON::PP ();
use POSIX qw(WNOHANG);
use Test::More ();
use Time::HiRes qw(sleep time);

use GraphAttach::Test;
use GraphAttach::Test::Conn;

our $BINARY = $ENV{TEST_BROKER_BINARY}
    || "$GraphAttach::Test::ROOT/build/graph-attach-broker";

our $TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
our $CLIENT = '11111111-2222-4333-8444-555555555555';

my $JSON = JSON::PP->new->utf8->canonical;

sub new {
    my ($class, $t, %opt) = @_;

    Test::More::plan(skip_all => "$BINARY is not built (run make broker)")
        unless -x $BINARY;

    my ($port) = GraphAttach::Test::free_ports(1);
    my $self = bless { t => $t, port => $port, brokers => {} }, $class;

    $t->_spawn('token', $t->servroot . '/logs/token-standin.log',
               $GraphAttach::Test::PYTHON,
               "$GraphAttach::Test::ROOT/t/token_standin.py", $port);
    $t->wait_for(sub {
        my $r = $self->call('GET', '/_health');
        $r && $r->{status} == 200;
    }, 10) or croak "token stand-in did not start: see logs/token-standin.log";

    return $self;
}

sub t { $_[0]{t} }
sub port { $_[0]{port} }
sub authority { "http://127.0.0.1:$_[0]{port}" }
sub binary { $BINARY }

# One call to the stand-in's control endpoints; the response hash.
sub call {
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
    my $c = GraphAttach::Test::Conn->new(port => $self->{port}, timeout => 10)
        or return undef;
    $c->send($req);
    return $c->read_response;
}

# The stand-in's configuration: tenants => { TENANT => { CLIENT =>
# { secret => S } | { certificate => PEM } } }, expires_in, resource.
sub configure {
    my ($self, %cfg) = @_;
    my $r = $self->call('PUT', '/_config', \%cfg);
    croak "stand-in refused its configuration" unless $r && $r->{status} == 200;
}

# A canned answer for the next request(s) (see t/token_standin.py).
sub queue {
    my ($self, %canned) = @_;
    $self->call('POST', '/_queue', \%canned);
}

sub clear {
    my ($self) = @_;
    $self->call('DELETE', '/_records');
    $self->call('DELETE', '/_queue');
}

# Token requests received, oldest first; what they carried (secrets,
# assertions) and the tokens issued become secrets.
sub records {
    my ($self) = @_;
    my $r = $self->call('GET', '/_records') or croak "token stand-in gone";
    my $list = $JSON->decode($r->{body});
    for my $rec (@$list) {
        my %h;
        $h{lc $_->[0]} = $_->[1] for @{ $rec->{headers} };
        $rec->{header} = \%h;
        $self->{t}->secret($rec->{form}{client_secret});
        $self->{t}->secret($rec->{form}{client_assertion});
        $self->{t}->secret($rec->{token});
    }
    return @$list;
}

# Waits until the stand-in has N records; returns them.
sub wait_records {
    my ($self, $n, $timeout) = @_;
    my @rec;
    $self->{t}->wait_for(sub { @rec = $self->records; @rec >= $n },
                         $timeout // 10);
    return @rec;
}


# ----------------------------------------------------------------------
# Files

sub conf_dir {
    my ($self) = @_;
    my $d = $self->{t}->servroot . '/conf';
    make_path($d);
    return $d;
}

# A client secret file NAME.secret (mode 0600) holding VALUE or a random
# secret shaped like Entra ID's; returns the secret.
sub secret_file {
    my ($self, $name, $value, $mode) = @_;
    $value //= join '', map { ('a' .. 'z', 'A' .. 'Z', 0 .. 9, '~', '.', '_')
                               [int rand 65] } 1 .. 40;
    my $f = $self->conf_dir . "/$name.secret";
    open(my $fh, '>', $f) or croak "$f: $!";
    print {$fh} "$value\n";
    close $fh;
    chmod($mode // 0600, $f);
    $self->{t}->secret($value);
    return $value;
}

sub secret_path { $_[0]->conf_dir . "/$_[1].secret" }

# An RSA key and a self-signed certificate (openssl req): returns
# { key => path, cert => path, pem => the certificate's text }.
sub certificate {
    my ($self, $name, $bits) = @_;
    my $d = $self->conf_dir;
    my ($key, $cert) = ("$d/$name.key", "$d/$name.crt");
    my $out = `openssl req -x509 -newkey rsa:${\($bits // 2048)} -nodes -sha256 -days 30 -subj '/CN=graph-attach-broker test $name' -keyout '$key' -out '$cert' 2>&1`;
    croak "openssl req failed: $out" if $?;
    chmod 0600, $key;
    return { key => $key, cert => $cert, pem => _slurp($cert) };
}

# Writes conf/broker-NAME.conf; returns its path.
#   broker  => { skew => '1s', ... }   ([broker] values; redis defaults
#                                       to the harness's, authority to
#                                       the stand-in)
#   tenants => [ { name => 'contoso', tenant_id => ..., client_id => ...,
#                  client_secret_file => ... | certificate => ...,
#                  private_key => ..., key => ..., ... }, ... ]
#   text    => appended as is
sub conf {
    my ($self, $name, %o) = @_;
    my %broker = (
        redis     => $self->{t}->redis_address,
        authority => $self->authority,
        %{ $o{broker} || {} },
    );
    my $text = "# broker $name, written by GraphAttach::Broker\n[broker]\n";
    for my $k (sort keys %broker) {
        next unless defined $broker{$k};
        $text .= "$k = $broker{$k}\n";
    }
    for my $tn (@{ $o{tenants} || [] }) {
        my %tn = %$tn;
        my $n = delete $tn{name};
        $text .= "\n[tenant $n]\n";
        for my $k (qw(tenant_id client_id client_secret_file certificate
                      private_key assertion_alg key scope authority)) {
            $text .= "$k = $tn{$k}\n" if defined $tn{$k};
            delete $tn{$k};
        }
        croak "unknown tenant keys: @{[ keys %tn ]}" if %tn;
    }
    $text .= $o{text} if defined $o{text};
    my $f = $self->conf_dir . "/broker-$name.conf";
    open(my $fh, '>', $f) or croak "$f: $!";
    print {$fh} $text;
    close $fh;
    return $f;
}

# A tenant entry for conf() with a secret file, the stand-in's ids.
sub secret_tenant {
    my ($self, $name, %o) = @_;
    return { name => $name, tenant_id => $o{tenant_id} // $TENANT,
             client_id => $o{client_id} // $CLIENT,
             client_secret_file => $self->secret_path($o{file} // $name),
             (defined $o{key} ? (key => $o{key}) : ()) };
}


# ----------------------------------------------------------------------
# Broker processes

# Starts broker NAME with config file CONF (extra arguments after it);
# its stderr goes to logs/broker-NAME.log.
sub start_broker {
    my ($self, $name, $conf, @args) = @_;
    my $log = $self->{t}->servroot . "/logs/broker-$name.log";
    my $pid = $self->{t}->_spawn("broker-$name", $log, $BINARY, '-c', $conf,
                                 @args);
    $self->{brokers}{$name} = $pid;
    return $pid;
}

sub broker_pid { $_[0]{t}{pids}{"broker-$_[1]"} }

# Stops broker NAME with SIG (TERM); returns its wait status (-1 if it
# had to be killed).
sub stop_broker {
    my ($self, $name, $sig) = @_;
    return $self->{t}->_stop("broker-$name", $sig // 'TERM', 10);
}

# SIGKILL: no cleanup, its locks stay until they expire.
sub kill_broker {
    my ($self, $name) = @_;
    my $pid = delete $self->{t}{pids}{"broker-$name"} or return;
    kill 'KILL', $pid;
    waitpid($pid, 0);
}

sub signal_broker {
    my ($self, $name, $sig) = @_;
    kill $sig, $self->broker_pid($name);
}

sub broker_alive {
    my ($self, $name) = @_;
    my $pid = $self->broker_pid($name) or return 0;
    return waitpid($pid, WNOHANG) == 0;
}

sub log {
    my ($self, $name) = @_;
    return $self->{t}->slurp("logs/broker-$name.log");
}

# Waits until broker NAME's log matches RE (TIMEOUT s); true if it did.
sub wait_log {
    my ($self, $name, $re, $timeout) = @_;
    return $self->{t}->wait_for(sub { $self->log($name) =~ $re },
                                $timeout // 10);
}

# Runs the broker with ARGS to its end: (exit status, stdout, stderr).
sub run {
    my ($self, @args) = @_;
    my ($st, $out, $err) = $self->{t}->run(cmd => [ $BINARY, @args ],
                                           timeout => 20);
    return ($st >> 8, $out, $err);
}


# ----------------------------------------------------------------------
# Redis

# The token value under KEY as { access_token, expires_on } (undef when
# missing or not JSON); the token becomes a secret.
sub token {
    my ($self, $key) = @_;
    my $v = $self->{t}->redis('GET', $key);
    return undef unless defined $v;
    my $j = eval { $JSON->decode($v) };
    $self->{t}->secret($j->{access_token}) if ref $j eq 'HASH';
    return $j;
}

sub meta {
    my ($self, $key) = @_;
    my $v = $self->{t}->redis('GET', "$key:broker");
    return defined $v ? eval { $JSON->decode($v) } : undef;
}

# Waits until KEY holds a token other than NOT (TIMEOUT s); returns it.
sub wait_token {
    my ($self, $key, $timeout, $not) = @_;
    my $tok;
    $self->{t}->wait_for(sub {
        $tok = $self->token($key);
        $tok && (!defined $not || $tok->{access_token} ne $not);
    }, $timeout // 10);
    return $tok;
}


# ----------------------------------------------------------------------
# Checks

# The brokers' logs: no sanitizer report, no crash, no line with a
# secret (the harness checks that too, at teardown).
sub done {
    my ($self) = @_;
    for my $name (sort keys %{ $self->{brokers} }) {
        my $log = $self->log($name);
        my @bad = grep { /AddressSanitizer|LeakSanitizer|runtime error:|
                          Segmentation|Aborted/x } split /\n/, $log;
        Test::More::ok(!@bad, "broker $name: no crash or sanitizer report")
            or Test::More::diag(join "\n", @bad[0 .. ($#bad > 9 ? 9 : $#bad)]);
    }
}

sub _slurp {
    my ($f) = @_;
    open(my $fh, '<', $f) or croak "$f: $!";
    local $/;
    return scalar <$fh>;
}

1;
