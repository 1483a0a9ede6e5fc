# The token broker with a client secret, against the token-endpoint
# stand-in and a real redis-server: what the request carries (and what
# the stand-in checked), what Redis then holds (the module's JSON form,
# TTL = expires_in - skew, KEY:broker with the refresh time), expires_in
# as a number, as a string, short (refreshed again and again, the key
# never missing in between), long, and too short for the skew.

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
my %T = map { $_ => sprintf('%08d-86f1-41af-91ab-2d7cd011db47', $_) }
        1 .. 5;

my $secret = $b->secret_file('app');
$b->configure(tenants => { map { $T{$_} => { $CLIENT => { secret => $secret } } }
                           keys %T },
              expires_in => 3599);

# tenant 2 gets its expires_in as a string, 3 a short one, 4 a day, 5 one
# second: no more than the skew
$b->queue(tenant => $T{2}, expires_in => '3600', count => 100);
$b->queue(tenant => $T{3}, expires_in => 4, count => 100);
$b->queue(tenant => $T{4}, expires_in => 86400, count => 100);
$b->queue(tenant => $T{5}, expires_in => 1, count => 100);

my @tenants = map {
    $b->secret_tenant("t$_", tenant_id => $T{$_}, file => 'app')
} 1 .. 5;
my $conf = $b->conf('a', broker => { skew => '1s', log_level => 'debug',
                                     backoff_min => '5s' },
                    tenants => \@tenants);

my $started = time;
$b->start_broker('a', $conf);

# --- the first token ------------------------------------------------------

my $tok = $b->wait_token('graph:token:t1', 10);
ok($tok, 'tenant 1: a token in redis') or diag($b->log('a'));

my ($rec) = grep { $_->{tenant} eq $T{1} } $b->records;

subtest 'the request, as the stand-in saw it' => sub {
    ok($rec, 'a request reached the stand-in') or return;
    is($rec->{method}, 'POST', 'POST');
    is($rec->{path}, "/$T{1}/oauth2/v2.0/token", '/{tenant}/oauth2/v2.0/token');
    is($rec->{checks}, undef, 'every check passed')
        or diag("failed: $rec->{checks}");
    is($rec->{status}, 200, 'status 200');
    is_deeply([ sort keys %{ $rec->{form} } ],
              [ qw(client_id client_secret grant_type scope) ],
              'the form: client_id, client_secret, grant_type, scope');
    is($rec->{form}{grant_type}, 'client_credentials', 'grant_type');
    is($rec->{form}{client_id}, $CLIENT, 'client_id');
    is($rec->{form}{scope}, 'https://graph.microsoft.com/.default', 'scope');
    is($rec->{form}{client_secret}, $secret,
       'client_secret: the file, less its newline');
    like($rec->{header}{'content-type'},
         qr{^application/x-www-form-urlencoded$}, 'Content-Type');
    ok(is_guid($rec->{header}{'client-request-id'}),
       'a client-request-id GUID');
    is($rec->{header}{'return-client-request-id'}, 'true',
       'return-client-request-id: true');
    like($rec->{header}{'user-agent'}, qr/^graph-attach-broker/, 'User-Agent');
    ok(!exists $rec->{header}{expect}, 'no Expect: 100-continue');
};

subtest 'what redis holds' => sub {
    my $raw = $t->redis('GET', 'graph:token:t1');
    like($raw, qr/^\{"access_token":"[^"]+","expires_on":\d+\}$/,
         'exactly {"access_token":...,"expires_on":...}');
    is($tok->{access_token}, $rec->{token}, 'the token the stand-in issued');
    my $eo = int($rec->{time}) + 3599;
    ok(abs($tok->{expires_on} - $eo) <= 1,
       'expires_on: the request time + expires_in')
        or diag("expires_on $tok->{expires_on}, expected about $eo");
    my $pttl = $t->redis('PTTL', 'graph:token:t1');
    ok($pttl > 3595_000 && $pttl <= 3598_000,
       'TTL: expires_in less the skew of 1 s') or diag("PTTL $pttl");

    my $m = $b->meta('graph:token:t1');
    ok($m, 'KEY:broker') or return;
    is($m->{expires_on}, $tok->{expires_on}, 'KEY:broker expires_on');
    is($m->{fence}, 1, 'fence 1');
    like($m->{by}, qr/:\d+$/, 'by host:pid');
    my $life = $m->{refresh_at} - $m->{issued_at};
    ok($life >= 0.70 * 3598_000 && $life <= 0.80 * 3598_000,
       'refresh at 70 to 80 % of the TTL') or diag("refresh after $life ms");
    my $mp = $t->redis('PTTL', 'graph:token:t1:broker');
    ok(abs($mp - $pttl) < 1000, 'KEY:broker has the same TTL');
    is($t->redis('GET', 'graph:token:t1:lock'), undef,
       'the lock is released');
    is($t->redis('GET', 'graph:token:t1:fence'), '1',
       'the fence counter stays');
};

# --- expires_in as a string, short, long ---------------------------------

my $t2 = $b->wait_token('graph:token:t2', 10);
ok($t2 && $t2->{expires_on} > time + 3590, 'expires_in "3600" (a string)');
my $p2 = $t->redis('PTTL', 'graph:token:t2');
ok($p2 > 3595_000 && $p2 <= 3599_000, 'its TTL') or diag("PTTL $p2");

my $t4 = $b->wait_token('graph:token:t4', 10);
my $p4 = $t->redis('PTTL', 'graph:token:t4');
ok($t4 && $p4 > 86395_000 && $p4 <= 86399_000,
   'expires_in 86400: TTL 86399 s') or diag("PTTL $p4");

# expires_in 4 and skew 1 s: 3 s of TTL, a refresh every 2.1 to 2.4 s;
# the key is watched every 50 ms and must never be missing

my $first = $b->wait_token('graph:token:t3', 10);
ok($first, 'expires_in 4: a token');
my $seen_missing = 0;
my %tokens;
my $end = time + 7;
while (time < $end) {
    my $v = $b->token('graph:token:t3');
    if ($v) {
        $tokens{ $v->{access_token} } = 1;
    } else {
        $seen_missing++;
    }
    sleep 0.05;
}
is($seen_missing, 0, 'expires_in 4: the key never went missing');
my $n = keys %tokens;
ok($n >= 3 && $n <= 5, "expires_in 4: refreshed every 2 s or so ($n "
   . 'tokens in 7 s)');
my @short = grep { $_->{tenant} eq $T{3} } $b->records;
my @gaps = map { $short[$_]{time} - $short[$_ - 1]{time} } 1 .. $#short;
ok(!grep({ $_ < 1.9 || $_ > 3.0 } @gaps),
   'expires_in 4: one request every 2.1 to 2.5 s')
    or diag("gaps: @gaps");

# --- expires_in no longer than the skew -----------------------------------

ok($b->wait_log('a', qr/tenant "t5": token request failed: expires_in 1 s leaves less than 1 s past the skew of 1000 ms; attempt 1/, 5),
   'expires_in 1 with a skew of 1 s: refused, logged');
is($t->redis('GET', 'graph:token:t5'), undef, 'and nothing written');

# --- the log ----------------------------------------------------------------

my $log = $b->log('a');
like($log, qr/\[info\] graph-attach-broker \S+ started: \S+, 5 tenants, redis "127\.0\.0\.1:\d+"/,
     'log: started');
like($log, qr/\[info\] redis "127\.0\.0\.1:\d+": connected/, 'log: redis');
like($log, qr/\[info\] tenant "t1": token written to "graph:token:t1", expires in 3599 s, refresh in \d+\.\d s \(fence 1\)/,
     'log: token written');
like($log, qr/\[debug\] tenant "t1": POST http:\S+\/oauth2\/v2\.0\/token, client-request-id [0-9a-f-]{36}/,
     'log: the request, at debug');
unlike($log, qr/\Q$secret\E/, 'log: not the secret');

is($b->stop_broker('a'), 0, 'TERM: exit 0');
like($b->log('a'), qr/\[info\] exiting/, 'log: exiting');

$b->done;
$t->done_testing;
