# Lookups in flight while clients go away, nginx reloads, nginx quits.
#
# Redis is stalled (SIGSTOP) so that lookups stay in flight:
#   - clients that abort mid-lookup (during the body, or after it) leave
#     no dangling callback: the replies come later and nginx stays clean
#     (valgrind: no invalid access, no leak)
#   - a reload: the old workers answer the requests waiting on Redis
#     (503 after the 500 ms command timeout: the command timer is not
#     cancelable, so they are not dropped) and exit promptly; no "open
#     socket left" alert
#   - a graceful quit: the same, then nginx exits

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use GraphAttach::Test;
use GraphAttach::Redis;

my $t = GraphAttach::Test->new;
my $S = $t->slow;

my $r = GraphAttach::Redis->new($t, name => 'reload')->start;
my $rp = $r->port;

$t->start_graph;
$t->start_nginx(
    key => 'graph:token:$arg_k',
    location_extra => "graph_attach_redis 127.0.0.1:$rp timeout=500ms;",
);

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $tok = 'eyJ0eXAi.reload-' . int(rand(1e9));
$t->secret($tok);
$t->graph_tokens($tok);
$r->cmd(SET => "graph:token:k$_", $tok) for 1 .. 40;

sub req {
    my ($k) = @_;
    return $t->build_request(path => "/graph$msg?k=$k",
                             parts => [ { name => 'file',
                                          filename => 'r.txt',
                                          type => 'text/plain',
                                          data => 'x' x 2000 } ]);
}

sub up { my $c = $t->connect; $c->send(req(shift)); my $res = $c->read_response;
         $t->seen($res); $c->close; $res || { status => 0 } }

is(up('k1')->{status}, 201, 'Redis up: 201');

# --- clients abort mid-lookup ---------------------------------------------

$r->pause;
my $n = 1;
for my $i (1 .. 6) {
    my $raw = req('k' . ++$n);
    my $c = $t->connect;
    if ($i % 2) {
        # headers and part of the body: the lookup starts, the body
        # read fails when the client goes
        $c->send(substr($raw, 0, index($raw, "\r\n\r\n") + 500));
    } else {
        # the whole request: the lookup is all that is left
        $c->send($raw);
    }
    sleep 0.05;
    $c->close;
}
sleep 0.2;
$r->resume;
ok($t->wait_for(sub { up('k' . ++$n)->{status} == 201 }, 10),
   'after clients aborted mid-lookup and Redis came back: 201');
is(up('k1')->{status}, 201, 'and again');

# --- reload with lookups in flight ----------------------------------------

SKIP: {
    skip 'no reload with master_process off (valgrind)', 6 if $t->valgrind;

    my @old = sort $t->nginx_workers;
    my $mark = $t->log_mark;
    $r->pause;

    my @c;
    for (1 .. 4) {
        my $c = $t->connect;
        $c->send(req('k' . ++$n));
        push @c, $c;
    }
    sleep 0.1;

    my $t0 = time;
    $t->reload_nginx;

    my @st = map { my $res = $_->read_response; $t->seen($res); $_->close;
                   $res ? $res->{status} : 0 } @c;
    is_deeply(\@st, [ (503) x 4 ],
              'reload: requests waiting on a stalled Redis are answered 503, '
              . 'not dropped');

    my $gone = $t->wait_for(sub {
        !grep { kill 0, $_ } @old;
    }, 5);
    my $dt = time - $t0;
    ok($gone, sprintf('old workers exited promptly (%.2f s)', $dt));
    cmp_ok($dt, '<', 3, '  within the command timeout and a little');
    my @new = $t->nginx_workers;
    ok(@new >= 2 && !grep({ my $p = $_; grep { $_ == $p } @old } @new),
       'new workers run');

    $r->resume;
    ok($t->wait_for(sub { up('k' . ++$n)->{status} == 201 }, 10),
       'new workers: 201');
    unlike($t->log_since($mark), qr/open socket|aborting/,
           'no socket left open by the old workers');
}

# --- graceful quit with lookups in flight ----------------------------------

$r->pause;
my @c;
for (1 .. 3) {
    my $c = $t->connect;
    $c->send(req('k' . ++$n));
    push @c, $c;
}
sleep 0.1;

my $t0 = time;
kill 'QUIT', $t->nginx_pid;

# read the answers first: an unread client socket would hold the worker
# in nginx's lingering close
my @got = map { my $res = $_->read_response; $t->seen($res); $_->close;
                $res ? $res->{status} : 0 } @c;
if ($t->valgrind) {
    # single process: quit is immediate, waiting requests are closed
    ok(!grep({ $_ != 503 && $_ != 0 } @got),
       'quit: requests answered 503 or closed');
} else {
    is_deeply(\@got, [ (503) x 3 ],
              'quit: requests waiting on Redis are answered 503');
}

my $st = $t->stop_nginx;
my $dt = time - $t0;
ok(defined $st && $st != -1, sprintf('nginx quit (%.2f s)', $dt));
cmp_ok($dt, '<', ($t->valgrind ? 20 : 3), '  promptly');
$r->resume;

$t->done_testing;
