# Several brokers for one tenant: one token request per refresh however
# many brokers run (the lock, SET NX PX), a broker that finds a fresh
# token written by another asks for none, the holder killed (SIGKILL:
# another takes over when its lock expires) or stopped (SIGTERM: its lock
# is released, the takeover is at once), and a slow holder whose lock
# expired during its request: the lock check keeps it from overwriting
# the token of the broker that took over; and the fence alone, when the
# lock holds the slow broker's value again but a newer fence was drawn.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use GraphAttach::Test;
use GraphAttach::Broker;

my $t = GraphAttach::Test->new(no_module => 1);
$t->start_redis;
my $b = GraphAttach::Broker->new($t);

my $CLIENT = $GraphAttach::Broker::CLIENT;
my @names = qw(race kill term fence fence2);
my %T;
@T{@names} = map { sprintf('%08d-86f1-41af-91ab-2d7cd011db47', $_) }
             1 .. @names;

my $secret = $b->secret_file('app');
$b->configure(tenants => { map { $T{$_} => { $CLIENT => { secret => $secret } } }
                           @names },
              expires_in => 3599);

sub conf {
    my ($name, $tenant, %broker) = @_;
    return $b->conf($name, broker => { skew => '1s', log_level => 'debug',
                                       %broker },
                    tenants => [ $b->secret_tenant($tenant,
                                                   tenant_id => $T{$tenant},
                                                   file => 'app') ]);
}

sub requests { my ($n) = @_; grep { $_->{tenant} eq $T{$n} } $b->records }

sub written {
    my ($name, $tenant) = @_;
    my @l = $b->log($name) =~ /token written to "graph:token:\Q$tenant\E"/g;
    return scalar @l;
}

# the broker whose pid is in KEY's lock
sub holder {
    my ($key, @names) = @_;
    my $lock = $t->redis('GET', "graph:token:$key:lock") // return undef;
    my ($pid) = $lock =~ /:(\d+):[0-9a-f]+$/ or return undef;
    my ($n) = grep { ($b->broker_pid($_) // 0) == $pid } @names;
    return $n;
}

# --- two brokers, one request per refresh --------------------------------

{
    # 4 s tokens, 3 s TTL: a refresh every 2.1 to 2.4 s
    $b->queue(tenant => $T{race}, expires_in => 4, count => 1000);
    my $ca = conf('race-a', 'race');
    my $cb = conf('race-b', 'race');
    $b->start_broker('race-a', $ca);
    $b->start_broker('race-b', $cb);

    my ($missing, %seen) = (0);
    $b->wait_token('graph:token:race', 5);
    my $end = time + 8;
    while (time < $end) {
        my $v = $b->token('graph:token:race');
        $v ? $seen{ $v->{access_token} }++ : $missing++;
        sleep 0.05;
    }
    $b->stop_broker($_) for qw(race-a race-b);

    my @r = requests('race');
    my @gaps = map { $r[$_]{time} - $r[$_ - 1]{time} } 1 .. $#r;
    ok(@r >= 4 && @r <= 6, 'two brokers, 8 s of 2.25 s refreshes: '
       . scalar(@r) . ' requests');
    ok(!grep({ $_ < 1.8 } @gaps), 'never two requests for one refresh')
        or diag("gaps: @gaps");
    is(written('race-a', 'race') + written('race-b', 'race'), scalar @r,
       'each request\'s token written once, by one broker');
    ok(keys(%seen) >= @r - 1, 'every token was in redis in turn');
    is($missing, 0, 'the key never went missing');
    like($b->log('race-a') . $b->log('race-b'),
         qr/the token in redis \(by \S+:\d+, fence \d+\) is fresh, refresh in/,
         'the other broker saw the fresh token and waited');
}

# --- a third broker finds a fresh token: no request ------------------------

{
    $b->queue(tenant => $T{race}, expires_in => 3599, count => 1);
    my $ca = conf('first', 'race');
    $b->start_broker('first', $ca);
    my $n0 = () = requests('race');
    $t->wait_for(sub { written('first', 'race') >= 1 }, 5);
    my $n1 = () = requests('race');
    $b->start_broker('late', conf('late', 'race'));
    ok($b->wait_log('late', qr/tenant "race": the token in redis \(by \S+, fence \d+\) is fresh, refresh in \d+\.\d s/, 5),
       'a broker started later finds the fresh token');
    sleep 1;
    is(scalar(() = requests('race')), $n1, 'and asks for none');
    is(written('late', 'race'), 0, 'and writes none');
    $b->stop_broker($_) for qw(first late);
}

# --- the holder killed: the lock expires, the other takes over -----------

{
    $b->queue(tenant => $T{kill}, delay => 2, count => 1);
    $b->start_broker('kill-a', conf('kill-a', 'kill', lock_ttl => '3s'));
    $b->start_broker('kill-b', conf('kill-b', 'kill', lock_ttl => '3s'));

    my $holder;
    $t->wait_for(sub { $holder = holder('kill', 'kill-a', 'kill-b') }, 5);
    ok($holder, "the lock is held by $holder while its request waits");
    my @r = requests('kill');
    my $t0 = $r[0]{time};
    $b->kill_broker($holder);

    my $tok = $b->wait_token('graph:token:kill', 8);
    ok($tok, 'after SIGKILL: a token all the same');
    @r = requests('kill');
    my $other = $holder eq 'kill-a' ? 'kill-b' : 'kill-a';
    my $took = $r[-1]{time} - $t0;
    ok($took >= 2.9 && $took < 5.5,
       "$other took over once the lock expired (3 s): after "
       . sprintf('%.2f s', $took));
    is(written($other, 'kill'), 1, "$other wrote it");
    $b->stop_broker($other);
}

# --- the holder stopped: the lock is released, at once --------------------

{
    $b->queue(tenant => $T{term}, delay => 2, count => 1);
    $b->start_broker('term-a', conf('term-a', 'term', lock_ttl => '20s'));
    $b->start_broker('term-b', conf('term-b', 'term', lock_ttl => '20s'));

    my $holder;
    $t->wait_for(sub { $holder = holder('term', 'term-a', 'term-b') }, 5);
    ok($holder, "the lock is held by $holder");
    my $t0 = time;
    is($b->stop_broker($holder), 0, 'SIGTERM: the holder exits 0');
    is($t->redis('GET', 'graph:token:term:lock'), undef,
       'and its lock is gone');
    like($b->log($holder), qr/releasing lock "graph:token:term:lock"/,
         'logged');

    my $tok = $b->wait_token('graph:token:term', 8);
    ok($tok && time - $t0 < 3.5,
       'the other broker took over at once, not after lock_ttl (20 s)');
    my $other = $holder eq 'term-a' ? 'term-b' : 'term-a';
    $b->stop_broker($other);
}

# --- the fence: a slow holder loses its lock, its token is not written ---

{
    # slow's lock (1 s) expires during its request (3 s)
    $b->queue(tenant => $T{fence}, delay => 3, count => 1);
    $b->start_broker('slow', conf('slow', 'fence', lock_ttl => '1s',
                                  timeout => '10s'));
    $t->wait_for(sub { scalar(() = requests('fence')) >= 1 }, 5);
    $b->start_broker('fast', conf('fast', 'fence'));

    my $tok = $b->wait_token('graph:token:fence', 5);
    ok($tok, 'fast: a token while slow waits for its answer');
    my $fast_token = $tok->{access_token};

    ok($b->wait_log('slow', qr/tenant "fence": the lock was lost during the request \(it expired or was taken\): the token is not written, another broker's stays/, 6),
       'slow: its answer came after its lock expired: not written');
    my @r = requests('fence');
    is(scalar @r, 2, 'two requests, both answered');
    is($r[0]{status}, 200, 'slow\'s got a token too');
    is($b->token('graph:token:fence')->{access_token}, $fast_token,
       'redis still holds the token of the broker that took over');
    isnt($r[0]{token}, $fast_token, 'not the slow one\'s');
    my $m = $b->meta('graph:token:fence');
    is($m->{fence}, 2, 'written under fence 2 (slow had 1)');
    like($b->log('slow'), qr/lock_ttl 1000 ms is not longer than timeout 10000 ms/,
         'slow: warned that its lock_ttl is shorter than its timeout');
    $b->stop_broker($_) for qw(slow fast);
}

# --- the fence alone: the lock is the holder's again, the fence is not ----

{
    # the lock check above already stops a slow holder; here the test
    # plays a holder with the same lock value that drew a newer fence
    # while slow waited, so that only the fence can tell
    $b->queue(tenant => $T{fence2}, delay => 3, count => 1);
    $b->start_broker('lone', conf('lone', 'fence2', lock_ttl => '1s',
                                  timeout => '10s'));
    my $lock;
    $t->wait_for(sub { $lock = $t->redis('GET', 'graph:token:fence2:lock') }, 5);
    ok($lock, 'lone holds the lock while its request waits');
    is($t->redis('GET', 'graph:token:fence2:fence'), '1', 'fence 1');
    $t->wait_for(sub { !defined $t->redis('GET', 'graph:token:fence2:lock') }, 3);
    $t->redis('SET', 'graph:token:fence2:lock', $lock, 'PX', 10000);
    $t->redis('INCR', 'graph:token:fence2:fence');

    ok($b->wait_log('lone', qr/tenant "fence2": the lock was lost during the request \(a newer holder drew a fence\): the token is not written/, 6),
       'the fence is newer than lone\'s: not written');
    is($t->redis('GET', 'graph:token:fence2'), undef, 'nothing in redis');
    $t->redis('DEL', 'graph:token:fence2:lock');
    my $tok = $b->wait_token('graph:token:fence2', 6);
    ok($tok, 'once the lock is free, lone writes a token');
    is($b->meta('graph:token:fence2')->{fence}, 3, 'under a fence of its own, 3');
    $b->stop_broker('lone');
}

$b->done;
$t->done_testing;
