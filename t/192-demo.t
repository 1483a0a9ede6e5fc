# make run's demo (tools/run-demo.sh), as a newcomer meets it: it starts,
# the two curl commands it prints get 201 (the small file as one request,
# the 10 MB one through an upload session), and Ctrl-C, which reaches the
# whole process group, stops nginx, the stand-in and redis-server, so that
# a second make run finds its ports free.  When one of the three dies by
# itself, the demo stops the other two as well.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Socket::INET;
use POSIX qw(setsid WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);
use GraphAttach::Test;

my $t = GraphAttach::Test->new;
my $ROOT = $t->root;
my $dir = $t->servroot . '/demo';
my ($port, $redis_port, $graph_port) = GraphAttach::Test::free_ports(3);
my $pid;

# whatever happens below, nothing of the demo outlives the test (the
# harness's signal handlers end the test without END blocks)
sub stop_group { kill 'TERM', -$pid if $pid && kill(0, -$pid) }
END { stop_group() }
for my $sig (qw(INT TERM HUP)) {
    my $harness = $SIG{$sig};
    $SIG{$sig} = sub { stop_group(); $harness->(@_) };
}

sub out { $t->slurp('logs/demo.out') }

# Starts tools/run-demo.sh in a process group of its own, as a shell
# starts a job; returns the curl commands it prints.
sub start_demo {
    unlink $t->servroot . '/logs/demo.out';
    $pid = fork // die "fork: $!";
    if ($pid == 0) {
        setsid();
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $t->servroot . '/logs/demo.out'
            or POSIX::_exit(127);
        open STDERR, '>&', \*STDOUT;
        $ENV{DEMO_DIR} = $dir;
        $ENV{DEMO_PORT} = $port;
        $ENV{DEMO_REDIS_PORT} = $redis_port;
        $ENV{DEMO_GRAPH_PORT} = $graph_port;
        exec "$ROOT/tools/run-demo.sh" or POSIX::_exit(127);
    }
    my $running = $t->wait_for(sub { out() =~ /demo is running/ }, 30);
    ok($running, 'the demo starts') or diag(out());
    return out() =~ /^\s+(curl -F file=@\S+ \S+)$/mg;
}

# Waits for every process of the demo's group to end.
sub all_stopped {
    my ($what) = @_;
    my $end = time + 15;
    while (time < $end && kill(0, -$pid)) {
        waitpid($pid, WNOHANG);
        sleep 0.1;
    }
    ok(!kill(0, -$pid), "$what stops every process of the demo")
        or diag(`ps -o pid,stat,cmd -g $pid`);
    stop_group();
    waitpid($pid, 0);
    like(out(), qr/run-demo: stopping/, 'and says so');
    for my $p ($port, $redis_port, $graph_port) {
        ok(!IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $p,
                                  Proto => 'tcp', Timeout => 1),
           "127.0.0.1:$p is free again");
    }
}

# --- the two curl commands, then Ctrl-C -----------------------------------

my @curls = start_demo();
is(scalar @curls, 2, 'it prints two curl commands') or diag(out());

for my $c ([ 'hello.txt', 'one request' ], [ 'big.bin', 'upload session' ]) {
    my ($name, $how) = @$c;
    my ($cmd) = grep { /\Q$name\E / } @curls;
    next unless $cmd;
    my $json = `$cmd -s -w '\\n%{http_code}'`;
    my ($body, $code) = $json =~ /\A(.*)\n(\d+)\z/s;
    is($code, 201, "curl of $name: 201 ($how)") or diag($json);
    my $att = eval { decode_json($body) } || {};
    is($att->{name}, $name, "the attachment object of $name");
}
my $records = `curl -s http://127.0.0.1:$graph_port/_records`;
like($records, qr/createUploadSession/,
     'the 10 MB file went through createUploadSession');

kill 'INT', -$pid;
all_stopped('Ctrl-C (SIGINT to the group)');

# --- again, on the same ports; nginx dies by itself -----------------------

start_demo();
my $nginx = $t->slurp('demo/logs/nginx.pid') =~ /(\d+)/ ? $1 : 0;
ok($nginx && kill('QUIT', $nginx), 'nginx stops by itself');
all_stopped('nginx gone');

$t->done_testing;
