# The broker's signals: SIGHUP rereads the configuration (a tenant added,
# the log level changed, Redis moved to its unix socket; an invalid file
# keeps the old configuration and the broker running; a request in flight
# abandoned, its lock released, the tenant started over), SIGTERM and
# SIGINT stop it cleanly (exit 0, locks released), and a configuration
# that cannot be used at startup is exit 78 (EX_CONFIG).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use GraphAttach::Test;
use GraphAttach::Broker;

my $t = GraphAttach::Test->new(no_module => 1);
$t->start_redis(redis_unix => 1);
my $b = GraphAttach::Broker->new($t);

my $CLIENT = $GraphAttach::Broker::CLIENT;
my @names = qw(one two slow);
my %T;
@T{@names} = map { sprintf('%08d-86f1-41af-91ab-2d7cd011db47', $_) }
             1 .. @names;

my $secret = $b->secret_file('app');
$b->configure(tenants => { map { $T{$_} => { $CLIENT => { secret => $secret } } }
                           @names },
              expires_in => 3599);

my $tcp = '127.0.0.1:' . $t->redis_port;
my %tn = map { $_ => $b->secret_tenant($_, tenant_id => $T{$_}, file => 'app') }
         @names;

# --- SIGHUP: a tenant added, the log level, Redis elsewhere -----------------

my $conf = $b->conf('a', broker => { redis => $tcp, log_level => 'info' },
                    tenants => [ $tn{one} ]);
$b->start_broker('a', $conf);
ok($b->wait_token('graph:token:one', 5), 'one: a token');
unlike($b->log('a'), qr/\[debug\]/, 'log_level info: no debug lines');

$b->conf('a', broker => { redis => $t->redis_address, log_level => 'debug',
                          check_interval => '1s' },
         tenants => [ $tn{one}, $tn{two} ]);
my $n1 = () = $b->records;
$b->signal_broker('a', 'HUP');

ok($b->wait_token('graph:token:two', 5), 'SIGHUP: the added tenant gets a token');
my $log = $b->log('a');
like($log, qr/\[info\] SIGHUP: rereading \S+broker-a\.conf/, 'logged: rereading');
like($log, qr/\[info\] reloaded: 2 tenants, redis "unix:\S+redis\.sock"/,
     'logged: reloaded, 2 tenants, the unix socket');
like($log, qr/redis "unix:\S+": connected/, 'connected to the socket');
like($log, qr/\[debug\] tenant "one": the token in redis \(by \S+, fence 1\) is fresh/,
     'log_level debug from now on; one\'s fresh token is kept');
my @r = $b->records;
is(scalar(grep { $_->{tenant} eq $T{one} } @r), 1,
   'one: no new request after the reload (its token is fresh)');

# --- an invalid file: the old configuration stays ---------------------------

open(my $fh, '>>', $conf) or die;
print {$fh} "[tenant bad]\ntenant_id = common\n";
close $fh;
$b->signal_broker('a', 'HUP');
ok($b->wait_log('a', qr/\[error\] \S+broker-a\.conf:\d+: tenant_id "common": client credentials need/, 5),
   'an invalid file: the error, with its line');
like($b->log('a'), qr/\[error\] reload failed: the configuration stays as it was/,
     'the configuration stays');
ok($b->broker_alive('a'), 'the broker runs on');
$t->redis('DEL', 'graph:token:two');
ok($b->wait_token('graph:token:two', 5),
   'with the old configuration (two, written again)');

# --- a request in flight, abandoned by the reload ---------------------------

$b->conf('a', broker => { redis => $t->redis_address, check_interval => '1s' },
         tenants => [ $tn{one}, $tn{two}, $tn{slow} ]);
$b->queue(tenant => $T{slow}, delay => 3, count => 1);
$b->signal_broker('a', 'HUP');
$t->wait_for(sub { $t->redis('GET', 'graph:token:slow:lock') }, 5);
ok($t->redis('GET', 'graph:token:slow:lock'), 'slow: the lock is held');
$b->signal_broker('a', 'HUP');
ok($b->wait_log('a', qr/(?s:reloaded: 3 tenants.*){2}/, 5), 'reloaded again');
my $slow = $b->wait_token('graph:token:slow', 5);
ok($slow, 'slow: started over, a token from the second request');
@r = grep { $_->{tenant} eq $T{slow} } $b->records;
is(scalar @r, 2, 'slow: two requests, the first abandoned');
isnt($slow->{access_token}, $r[0]{token} // '', 'the token of the second');

# --- SIGTERM with a lock held: released; exit 0 ------------------------------

$b->queue(tenant => $T{slow}, delay => 5, count => 1);
$t->redis('DEL', 'graph:token:slow');
$t->wait_for(sub { $t->redis('GET', 'graph:token:slow:lock') }, 5);
ok($t->redis('GET', 'graph:token:slow:lock'), 'a lock held, a request waiting');
my $t0 = time;
is($b->stop_broker('a'), 0, 'SIGTERM: exit 0');
ok(time - $t0 < 1.5, 'at once, without waiting for the request');
is($t->redis('GET', 'graph:token:slow:lock'), undef, 'the lock released');
like($b->log('a'), qr/\[info\] exiting/, 'logged');
ok($t->redis('GET', 'graph:token:one'), 'the tokens stay in redis');

# --- SIGINT ---------------------------------------------------------------

$b->start_broker('int', $b->conf('int', tenants => [ $tn{one} ]));
$b->wait_log('int', qr/started/, 5);
is($b->stop_broker('int', 'INT'), 0, 'SIGINT: exit 0');

# --- a configuration that cannot be used: exit 78 ------------------------

my $bad = $b->conf('bad', broker => { skew => 'soon' }, tenants => [ $tn{one} ]);
my ($st, $out, $err) = $b->run('-c', $bad);
is($st, 78, 'an invalid file at startup: exit 78 (EX_CONFIG)');
like($err, qr/broker-bad\.conf:\d+: "soon" is not a duration/, 'and why');
($st, $out, $err) = $b->run('-c', $t->servroot . '/conf/missing.conf');
is($st, 78, 'a missing file: exit 78');
like($err, qr/missing\.conf: No such file or directory/, 'and why');

$b->done;
$t->done_testing;
