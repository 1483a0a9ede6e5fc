# Redis Sentinel: one master, one replica, three sentinels on loopback.
# nginx finds the master through Sentinel; the master is killed under
# load; Sentinel fails over to the replica; uploads with an uncached key
# work again without a reload, and uploads with a cached token never
# failed.

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

# nginx binds its ports first: the sentinels open many loopback
# connections, whose ephemeral ports could take a port picked for nginx
my ($mport, $rport, @sport) = GraphAttach::Test::free_ports(5);
my $list = join ',', map { "127.0.0.1:$_" } @sport;
$t->start_graph;
$t->start_nginx(
    key => 'graph:token:$arg_k',
    location_extra => "graph_attach_redis sentinel=$list master=gamaster "
                    . "timeout=300ms connect_timeout=300ms;",
    http => "graph_attach_token_cache_time 60s;",
);

my $m = GraphAttach::Redis->new($t, name => 'master', port => $mport)->start;
my $rep = GraphAttach::Redis->new($t, name => 'replica', port => $rport)
    ->start;
$rep->cmd('REPLICAOF', '127.0.0.1', $m->port);

my @sen = map {
    GraphAttach::Redis->new($t, name => "sentinel$_", port => $sport[$_ - 1],
        sentinel => { master => 'gamaster', port => $m->port, quorum => 2,
                      down_after => 1000, failover_timeout => 3000 })->start
} 1 .. 3;

sub sentinel_master {
    my $a = eval { $sen[0]->cmd('SENTINEL', 'get-master-addr-by-name',
                                'gamaster') };
    return ref $a ? "$a->[0]:$a->[1]" : '';
}

sub master_info {
    my ($s) = @_;
    my $a = eval { $s->cmd('SENTINEL', 'master', 'gamaster') } or return {};
    return { @$a };
}

# the sentinels know each other and the replica, the replica is in sync
ok($t->wait_for(sub {
       !grep { my $i = master_info($_);
               ($i->{'num-other-sentinels'} // 0) < 2
               || ($i->{'num-slaves'} // 0) < 1 } @sen
   }, 20), 'three sentinels see each other and the replica');

my $tok = 'eyJ0eXAi.sentinel-' . int(rand(1e9));
$t->secret($tok);
$m->cmd(SET => "graph:token:$_", $tok) for qw(cached k1 k2 k3);
ok($t->wait_for(sub { (eval { $rep->cmd(GET => 'graph:token:k3') } // '')
                      eq $tok }, 10), 'replica in sync');

$t->graph_tokens($tok);

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';

sub up {
    my ($k) = @_;
    return $t->post(path => "/graph$msg?k=$k",
                    parts => [ { name => 'file', filename => 's.txt',
                                 type => 'text/plain', data => 'sentinel' } ])
        || { status => 0 };
}

# workers that tried before the sentinels ran are in their backoff
ok($t->wait_for(sub { up('cached')->{status} == 201 }, 15),
   'through Sentinel: 201');
is(up('k1')->{status}, 201, 'another key: 201');
my $mp = $m->port;
like($t->log_since(0), qr/sentinel: master "gamaster" is 127\.0\.0\.1:$mp/,
     'the log names the master Sentinel gave');

# --- failover under load ---------------------------------------------------

my $mark = $t->log_mark;
my $load = GraphAttach::Redis::load($t, path => "/graph$msg?k=cached",
                                    pause => 0.02);
sleep 0.3;
$m->kill9;
my $t0 = time;

my $rp = $rep->port;
ok($t->wait_for(sub { sentinel_master() eq "127.0.0.1:$rp" }, 30),
   'Sentinel promoted the replica');
note(sprintf 'failover took %.1f s', time - $t0);

# a key nobody has cached: read from the new master
ok($t->wait_for(sub { up('k2')->{status} == 201 }, 15),
   'after the failover: uncached key 201, without a reload');
note(sprintf 'uploads back %.1f s after the kill', time - $t0);
# each worker finds the new master on its own reconnect (with backoff):
# the other worker may still be a moment behind
ok($t->wait_for(sub { up('k3')->{status} == 201 }, 10),
   'and another one, whichever worker takes it');

# every worker on the new master before the one-shot check below: one
# worker answering 201 above says nothing of the other, still in backoff
my $probe = 0;
ok($t->wait_for(sub {
    for (1 .. 4) {
        my $k = 'probe' . ++$probe;
        $rep->cmd(SET => "graph:token:$k", $tok);
        return 0 if up($k)->{status} != 201;
    }
    return 1;
}, 10), 'four fresh keys in a row from the new master');

# a key written after the failover, on the new master
my $tok2 = 'eyJ0eXAi.after-' . int(rand(1e9));
$t->secret($tok2);
$t->graph_tokens($tok, $tok2);
$rep->cmd(SET => 'graph:token:new', $tok2);
# (a worker still in its reconnect backoff answers 503 until it is back:
# four in a row above may all have gone to the other one)
ok($t->wait_for(sub { up('new')->{status} == 201 }, 10),
   'a token written on the new master: 201');

sleep 0.3;
my @res = $load->stop;
my @bad = grep { $_->{status} != 201 } @res;
ok(@res > 20, 'load ran through the failover (' . scalar(@res) . ')');
is(scalar @bad, 0, 'requests with a cached token never failed');

like($t->log_since($mark), qr/sentinel: master "gamaster" is 127\.0\.0\.1:$rp/,
     'the log names the new master');
like($t->log_since($mark), qr/is available again at 127\.0\.0\.1:$rp/,
     '"available again" with the new address');

$t->done_testing;
