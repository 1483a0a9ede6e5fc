# The token broker when the token endpoint fails: 400 invalid_client
# AADSTS7000215, 429 and 503 with Retry-After (honoured), 503 without
# (backoff), then success; the old token stays in Redis, untouched, until
# its own TTL ends.  A hanging endpoint times out without holding up
# another tenant.  A 200 without a token, an answer over 64 KB, a refused
# connection, and an endpoint that quotes the secret back: each logged,
# nothing written, the secret nowhere.

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
my @names = qw(seq hang ok invalid big echo refused);
my %T;
@T{@names} = map { sprintf('%08d-86f1-41af-91ab-2d7cd011db47', $_) }
             1 .. @names;

my $secret = $b->secret_file('app');
$b->configure(tenants => { map { $T{$_} => { $CLIENT => { secret => $secret } } }
                           @names },
              expires_in => 3599);

my ($closed) = GraphAttach::Test::free_ports(1);

# seq: 6 s tokens (5 s TTL, a refresh after about 3.75 s)
$b->queue(tenant => $T{seq}, expires_in => 6, count => 1);
# hang: the first request never answered; ok: refreshed every 2 s
$b->queue(tenant => $T{hang}, hang => JSON::PP::true, count => 1);
$b->queue(tenant => $T{ok}, expires_in => 3, count => 100);
$b->queue(tenant => $T{invalid}, status => 200, count => 100,
          json => { token_type => 'Bearer', expires_in => 3599 });
$b->queue(tenant => $T{big}, status => 200, body => 'x' x 70000,
          count => 100);
$b->queue(tenant => $T{echo}, status => 400, aad_error => 'invalid_request',
          code => 900144, description => "the secret $secret is wrong",
          count => 100);

my @tenants = map { $b->secret_tenant($_, tenant_id => $T{$_}, file => 'app') }
              @names;
$tenants[-1]{authority} = "http://127.0.0.1:$closed";

my $conf = $b->conf('a', broker => { skew => '1s', timeout => '2s',
                                     backoff_min => '1s', backoff_max => '4s',
                                     lock_ttl => '5s' },
                    tenants => \@tenants);

my $start = time;
$b->start_broker('a', $conf);

# --- a hanging endpoint holds up no other tenant --------------------------

my $ok = $b->wait_token('graph:token:ok', 5);
ok($ok && time - $start < 1.5,
   'ok: a token at once, while hang\'s request hangs');

ok($b->wait_log('a', qr/tenant "hang": token request failed: \S+: Operation timed out after 2\d\d\d milliseconds/, 5),
   'hang: timed out after 2 s (timeout), logged');
my @ok = grep { $_->{tenant} eq $T{ok} } $b->records;
ok(@ok >= 2, 'ok: refreshed during the hang (' . scalar(@ok) . ' requests)');
ok($b->wait_token('graph:token:hang', 5), 'hang: a token on the retry');
my ($h) = grep { $_->{tenant} eq $T{hang} } $b->records;
is($h->{status}, 0, 'the stand-in saw the client leave');

# --- the failure sequence; the old token stays ---------------------------

my $t1 = $b->wait_token('graph:token:seq', 5);
ok($t1, 'seq: the first token');
my $end1 = time + $t->redis('PTTL', 'graph:token:seq') / 1000;

$b->queue(tenant => $T{seq}, status => 400, aad_error => 'invalid_client',
          code => 7000215, description => 'Invalid client secret provided.');
$b->queue(tenant => $T{seq}, status => 429, headers => { 'Retry-After' => 3 },
          json => { error => 'temporarily_unavailable',
                    error_description => 'AADSTS50196: throttled' });
$b->queue(tenant => $T{seq}, status => 503, headers => { 'Retry-After' => 2 },
          body => 'Service Unavailable');
$b->queue(tenant => $T{seq}, status => 503, body => '');

# the token stays as it was until its TTL ends, then Redis drops it
my ($changed, $gone_at) = (0, undef);
while (time < $end1 + 1) {
    my $v = $b->token('graph:token:seq');
    if (!$v) {
        $gone_at //= time;
    } elsif ($v->{access_token} ne $t1->{access_token} && !$gone_at) {
        $changed = 1;
    }
    my $p = $t->redis('PTTL', 'graph:token:seq');
    $changed = 1 if $v && $p > 0 && time + $p / 1000 > $end1 + 0.2;
    sleep 0.05;
}
ok(!$changed, 'seq: failed refreshes neither replace nor lengthen the token');
ok($gone_at && $gone_at > $end1 - 0.2 && $gone_at < $end1 + 0.3,
   'seq: it is gone when its TTL ends, not before')
    or diag("gone at " . ($gone_at // 'never') . ", TTL end $end1");

my $t2 = $b->wait_token('graph:token:seq', 15, $t1->{access_token});
ok($t2, 'seq: a new token after the failures');

my @seq = grep { $_->{tenant} eq $T{seq} } $b->records;
is_deeply([ map { $_->{status} } @seq ], [ 200, 400, 429, 503, 503, 200 ],
          'seq: 200, 400, 429, 503, 503, 200');
my @gap = map { $seq[$_]{time} - $seq[$_ - 1]{done} } 1 .. $#seq;
ok($gap[1] >= 0.5 && $gap[1] <= 1.2, '400: backoff 0.5 to 1 s')
    or diag("gaps @gap");
ok($gap[2] >= 3.0, '429 Retry-After 3: the next request 3 s later')
    or diag("gaps @gap");
ok($gap[3] >= 2.0, '503 Retry-After 2: 2 s later') or diag("gaps @gap");
ok($gap[4] >= 2.0 && $gap[4] <= 4.2,
   '503 without Retry-After: the 4th backoff, 2 to 4 s (max 4 s)')
    or diag("gaps @gap");

my $log = $b->log('a');
like($log, qr/tenant "seq": token request failed: \S+: HTTP 400 invalid_client AADSTS7000215: "Invalid client secret provided\." \(trace_id [0-9a-f-]{36}, correlation_id [0-9a-f-]{36}, [^,]+, client-request-id [0-9a-f-]{36}\); attempt 1, next in \d\.\d s; the token in redis stays for \d\.\d s/,
     'log: 400 invalid_client AADSTS7000215, the ids, what stays');
like($log, qr/tenant "seq": token request failed: \S+: HTTP 429 temporarily_unavailable AADSTS50196: "throttled" \(client-request-id \S+\); attempt 2, next in 3\.\d s/,
     'log: 429, next in 3 s');
like($log, qr/tenant "seq": token request failed: \S+: HTTP 503 without a JSON error \(19 bytes\) \(client-request-id \S+\); attempt 3, next in [234]\.\d s/,
     'log: 503 without JSON, next in the backoff (2 to 4 s) or Retry-After');
like($log, qr/tenant "seq": token request failed: .*attempt 4, next in \d\.\d s; redis holds no token/,
     'log: once the token ran out, redis holds none');
like($log, qr/tenant "seq": token written to "graph:token:seq"/,
     'log: written after the failures');

# --- answers that are no token ---------------------------------------------

like($log, qr/tenant "invalid": token request failed: \S+: HTTP 200 without a usable token: no "access_token" string/,
     'a 200 without access_token');
like($log, qr/tenant "big": token request failed: \S+: the answer is longer than 65536 bytes/,
     'an answer over 64 KB');
like($log, qr/tenant "refused": token request failed: http:\/\/127\.0\.0\.1:$closed\S+: Failed to connect/,
     'a refused connection');
like($log, qr/tenant "echo": token request failed: \S+: HTTP 400 invalid_request AADSTS900144: "\(withheld\)"/,
     'an error that quotes the secret: withheld');
unlike($log, qr/\Q$secret\E/, 'the secret is in no log line');
is($t->redis('GET', "graph:token:$_"), undef, "$_: nothing written")
    for qw(invalid big echo refused);

is($b->stop_broker('a'), 0, 'TERM: exit 0');

$b->done;
$t->done_testing;
