# Redis killed (SIGKILL) mid-run and restarted; stale on error; a key
# that disappears.
#
# cache_time 2s, skew 1s, graph_attach_token_stale 3s:
#   - right after the kill, cached tokens keep working, uncached keys 503
#   - past the cache life, tokens with a known expiry (JSON expires_on,
#     or a key TTL) are served stale; a raw token without a TTL is served
#     stale for graph_attach_token_stale more, then 503
#   - after the restart (the data is gone: no persistence), 503 until the
#     broker writes the keys again, then 201 without a reload
#   - a key deleted while Redis is up: the cached token is served until
#     its cache life ends, then 503 (a deleted key is not an outage)

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

my $r = GraphAttach::Redis->new($t, port => $t->redis_port, name => 'main')
    ->start;

$t->start_graph;
$t->start_nginx(
    key => 'graph:token:$arg_k',
    http => "graph_attach_token_cache_time 2s;\n"
          . "graph_attach_token_skew 1s;\n"
          . "graph_attach_token_stale 3s;\n",
);

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';

sub up {
    my ($k) = @_;
    return $t->post(path => "/graph$msg?k=$k",
                    parts => [ { name => 'file', filename => 'r.txt',
                                 type => 'text/plain', data => 'restart' } ])
        || { status => 0 };
}

sub tok { 'eyJ0eXAi.' . shift . '-' . int(rand(1e9)) }

my %tok = (json => tok('json'), ttl => tok('ttl'), raw => tok('raw'));
$t->secret($_) for values %tok;
$t->graph_tokens(values %tok);

sub write_keys {
    $r->cmd(SET => 'graph:token:json',
            encode_json({ access_token => $tok{json},
                          expires_on => int(time) + 3600 }));
    $r->cmd(SET => 'graph:token:ttl', $tok{ttl}, 'EX', 3600);
    $r->cmd(SET => 'graph:token:raw', $tok{raw});
}

write_keys();

# fetch all three at the start of a second: cache lives are then ~2 s
sleep(1 - (time - int(time)) + 0.05);
my $fetched = time;
is(up($_)->{status}, 201, "$_: 201 with Redis up") for qw(json ttl raw);

# --- killed ----------------------------------------------------------------

my $mark = $t->log_mark;
$r->kill9;

is(up($_)->{status}, 201, "$_: Redis killed, cached token: 201")
    for qw(json ttl raw);
{
    my $t0 = time;
    my $res = up('never');
    $t->check_error($res, status => 503, code => 'TokenUnavailable',
                    retry_after => 1, label => 'Redis killed, nothing cached');
    cmp_ok(time - $t0, '<', 0.5 * $S, '  at once');
}

# past the cache life (2 s), within the stale time of the raw token
sleep($fetched + 2.4 - time) if time < $fetched + 2.4;
is(up($_)->{status}, 201, "$_: past its cache life, Redis down: "
                          . 'served stale') for qw(json ttl raw);

# past cache life + graph_attach_token_stale (2 + 3 s)
sleep($fetched + 5.6 - time) if time < $fetched + 5.6;
is(up($_)->{status}, 201, "$_: known expiry: still served stale")
    for qw(json ttl);
$t->check_error(up('raw'), status => 503, code => 'TokenUnavailable',
                retry_after => 1,
                label => 'raw token without TTL: stale for 3 s at most');

my @down = $t->log_since($mark) =~ /is unavailable/g;
ok(@down >= 1 && @down <= 2, 'one "unavailable" line per worker ('
   . scalar(@down) . ')');

# --- restarted, empty -------------------------------------------------------

$r->start;
ok($t->wait_for(sub { up('json')->{status} == 503
                      && $t->log_since($mark) =~ /does not exist/ }, 12),
   'Redis back without the keys: 503, "does not exist" logged');
write_keys();
ok($t->wait_for(sub { up($_)->{status} == 201 }, 5), "$_: 201 again after "
   . 'the broker wrote it, no reload') for qw(json ttl raw);
# a worker may still be in its reconnect backoff (at most 5 s)
ok($t->wait_for(sub {
       my @back = $t->log_since($mark) =~ /is available again/g;
       scalar(@back) == scalar(@down);
   }, 8), 'one "available again" line per worker');

# --- a key that disappears -------------------------------------------------

sleep(1 - (time - int(time)) + 0.05);
$t->wait_for(sub { up('ttl')->{status} == 201 }, 5);
$fetched = time;
$r->cmd(DEL => 'graph:token:ttl');
is(up('ttl')->{status}, 201, 'key deleted: cached token still served');
sleep($fetched + 2.4 - time) if time < $fetched + 2.4;
$t->check_error(up('ttl'), status => 503, code => 'TokenUnavailable',
                retry_after => 1,
                label => 'key deleted, cache life over: 503, not stale');
$r->cmd(SET => 'graph:token:ttl', $tok{ttl}, 'EX', 3600);
ok($t->wait_for(sub { up('ttl')->{status} == 201 }, 3),
   'key written again: 201 within the 1 s negative cache');

$t->done_testing;
