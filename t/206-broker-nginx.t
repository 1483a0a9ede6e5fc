# End to end: the broker fills Redis from the token-endpoint stand-in and
# the real nginx module sends exactly that token to the Graph stand-in
# (201, the Authorization it received); the broker's refresh reaches
# nginx; when the endpoint then fails, nginx keeps serving the old token
# until it really expires (TTL less the module's skew), then answers 503
# TokenUnavailable.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use GraphAttach::Test;
use GraphAttach::Broker;

my $t = GraphAttach::Test->new;
$t->start_redis;
$t->start_graph;
$t->start_nginx(http => "    graph_attach_token_skew 1s;\n"
                      . "    graph_attach_token_cache_time 1s;\n",
                key => 'graph:token:contoso');
my $b = GraphAttach::Broker->new($t);

my $CLIENT = $GraphAttach::Broker::CLIENT;
my $TENANT = $GraphAttach::Broker::TENANT;
my $secret = $b->secret_file('contoso');
$b->configure(tenants => { $TENANT => { $CLIENT => { secret => $secret } } });

sub jwt { 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJncmFwaCJ9.'
          . join '', map { ('a' .. 'z', 'A' .. 'Z', 0 .. 9)[rand 62] } 1 .. 43 }

# A lives 5 s (a TTL of 4 s, broker skew 1 s, refreshed after 3 s), B 16 s
# (refreshed after 11 s: that refresh fails, and B is served to its end)
my ($A, $B) = (jwt(), jwt());
$t->graph_tokens($A, $B);
$b->queue(access_token => $A, expires_in => 5);
$b->queue(access_token => $B, expires_in => 16);

my $conf = $b->conf('a', broker => { skew => '1s', backoff_min => '1s',
                                     backoff_max => '2s' },
                    tenants => [ $b->secret_tenant('contoso') ]);
$b->start_broker('a', $conf);

my $msg = '/graph/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';

sub upload {
    my ($data) = @_;
    return $t->post(path => $msg,
                    parts => [ { name => 'file', filename => 'report.txt',
                                 type => 'text/plain', data => $data } ]);
}

my $tok = $b->wait_token('graph:token:contoso', 5);
is($tok && $tok->{access_token}, $A, 'the broker wrote token A');

$t->graph_clear;
my $r = upload('first upload');
is($r->{status}, 201, 'nginx: 201') or diag($r->{body});
my @rec = $t->graph_records;
is(scalar @rec, 1, 'one request reached Graph');
$t->check_upstream($rec[0], label => 'with the broker\'s token', token => $A,
                   name => 'report.txt', type => 'text/plain',
                   data => 'first upload',
                   path => '/v1.0/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments');

# --- the refresh reaches nginx ----------------------------------------------

$tok = $b->wait_token('graph:token:contoso', 10, $A);
is($tok && $tok->{access_token}, $B, 'the broker refreshed it: token B');
sleep 1.2;      # graph_attach_token_cache_time
$t->graph_clear;
$r = upload('second upload');
is($r->{status}, 201, 'nginx: 201 again');
@rec = $t->graph_records;
is($rec[0]{headers}{authorization}, "Bearer $B",
   'Graph received token B, as Redis holds it');

# --- the endpoint fails: B is served until it really expires --------------

$b->queue(status => 503, headers => { 'Retry-After' => 1 }, count => 1000,
          body => 'down');
ok($b->wait_log('a', qr/token request failed: .*HTTP 503.*the token in redis stays for/, 15),
   'the refresh of B fails; the broker logs that the token stays');

# the module's view of B's end: its TTL in whole seconds, less its skew
my $end = time + $t->redis('PTTL', 'graph:token:contoso') / 1000 - 1;
my ($ok, $fail) = (0, 0);
while (time < $end - 1.2) {
    $t->graph_clear;
    my $u = upload('while the endpoint is down');
    if ($u->{status} == 201) {
        my @g = $t->graph_records;
        $ok++ if ($g[0]{headers}{authorization} // '') eq "Bearer $B";
    } else {
        $fail++;
    }
    sleep 0.4;
}
ok($ok >= 2 && $fail == 0,
   "while the refresh fails: 201 with token B ($ok uploads, $fail failed)");

sleep(($end + 1.5) - time) if $end + 1.5 > time;
$r = upload('after the token ran out');
$t->check_error($r, status => 503, code => 'TokenUnavailable',
                label => 'B ran out: 503 TokenUnavailable', retry_after => 1);

is($b->stop_broker('a'), 0, 'TERM: exit 0');

$b->done;
$t->done_testing;
