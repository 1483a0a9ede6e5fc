# The broker's Redis: a unix socket with a password (redis_password_file)
# and a database (redis_db); a wrong password (logged once, not per
# attempt); Redis down when the broker starts (filled once it is up),
# restarted empty (filled again), stalled (no reply within redis_timeout,
# and back); a token deleted by hand, and a key of another type, written
# again within check_interval.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use GraphAttach::Test;
use GraphAttach::Broker;

my $t = GraphAttach::Test->new(no_module => 1);
my $pw = 'redis-pw-' . int(rand(1e9));
$t->start_redis(redis_unix => 1, redis_password => $pw);
my $b = GraphAttach::Broker->new($t);

my $CLIENT = $GraphAttach::Broker::CLIENT;
my $TENANT = $GraphAttach::Broker::TENANT;
my $secret = $b->secret_file('app');
$b->configure(tenants => { $TENANT => { $CLIENT => { secret => $secret } } },
              expires_in => 3599);

my $dir = $b->conf_dir;
for ([ 'redis.pw', $pw ], [ 'wrong.pw', 'not-the-password' ]) {
    open(my $fh, '>', "$dir/$_->[0]") or die;
    print {$fh} "$_->[1]\n";
    close $fh;
    chmod 0600, "$dir/$_->[0]";
}
$t->secret($pw);

sub db2 {
    my (@cmd) = @_;
    $t->redis('SELECT', 2);
    my $r = $t->redis(@cmd);
    $t->redis('SELECT', 0);
    return $r;
}

sub token2 {
    my $v = db2('GET', 'graph:token:app');
    return defined $v ? decode_json($v) : undef;
}

my $sock = $t->redis_address;      # unix:/...
my %broker = (redis => $sock, redis_password_file => "$dir/redis.pw",
              redis_db => 2, redis_timeout => '500ms', skew => '1s',
              check_interval => '1s', log_level => 'debug');

# --- a unix socket, a password, db 2 --------------------------------------

my $conf = $b->conf('a', broker => \%broker,
                    tenants => [ $b->secret_tenant('app') ]);
$b->start_broker('a', $conf);

my $tok;
$t->wait_for(sub { $tok = token2() }, 10);
ok($tok, 'a token in db 2, through the unix socket, after AUTH');
is($t->redis('GET', 'graph:token:app'), undef, 'nothing in db 0');
like($b->log('a'), qr/redis "\Q$sock\E db=2": connected/, 'logged');
$t->secret($tok->{access_token});

# --- deleted by hand, replaced by another type: written again ------------

db2('DEL', 'graph:token:app');
my $t0 = time;
my $again;
$t->wait_for(sub { $again = token2() }, 5);
ok($again && time - $t0 < 2.5,
   'a token deleted by hand is written again within check_interval (1 s)');
$t->secret($again->{access_token}) if $again;

db2('DEL', 'graph:token:app');
db2('HSET', 'graph:token:app', 'field', 'value');
$t->wait_for(sub { (db2('TYPE', 'graph:token:app') // '') eq 'string' }, 5);
is(db2('TYPE', 'graph:token:app'), 'string',
   'a hash under the key is replaced by a token');

# --- Redis restarted empty ---------------------------------------------------

$t->stop_redis;
$t->start_redis;
$t0 = time;
$t->wait_for(sub { token2() }, 10);
ok(token2() && time - $t0 < 8, 'Redis restarted empty: filled again');
my $log = $b->log('a');
like($log, qr/redis "\Q$sock\E db=2" is unavailable: /, 'logged: unavailable');
like($log, qr/redis "\Q$sock\E db=2" is available again/, 'logged: back');

# --- stalled ---------------------------------------------------------------

$t->pause_redis;
ok($b->wait_log('a', qr/is unavailable: (GET|PTTL|EVAL \(\w+\)): no reply within the redis_timeout|is unavailable: .*timed out/, 5),
   'a stalled Redis: no reply within redis_timeout')
    or diag(substr($b->log('a'), -800));
$t->resume_redis;
my $n = () = $b->log('a') =~ /is available again/g;
ok($b->wait_log('a', qr/(?:is available again.*){${\($n + 1)}}/s, 10),
   'and back once it answers');
ok($b->broker_alive('a'), 'the broker lived through it');
$b->stop_broker('a');

# --- Redis down when the broker starts --------------------------------------

$t->stop_redis;
$b->start_broker('down', $b->conf('down', broker => \%broker,
                                  tenants => [ $b->secret_tenant('app') ]));
ok($b->wait_log('down', qr/redis "\Q$sock\E db=2" is unavailable: /, 5),
   'Redis down at start: logged');
sleep 2;
my @un = $b->log('down') =~ /\[error\] redis .* is unavailable/g;
is(scalar @un, 1, 'once, not once per attempt');
$t->start_redis;
$t->wait_for(sub { token2() }, 10);
ok(token2(), 'filled once Redis is up');
$b->stop_broker('down');

# --- a wrong password --------------------------------------------------------

$b->start_broker('wrong', $b->conf('wrong',
    broker => { %broker, redis_password_file => "$dir/wrong.pw" },
    tenants => [ $b->secret_tenant('app') ]));
ok($b->wait_log('wrong', qr/redis "\Q$sock\E db=2" is unavailable: AUTH failed: WRONGPASS/, 5),
   'a wrong password: AUTH failed: WRONGPASS');
sleep 1.5;
@un = $b->log('wrong') =~ /\[error\] redis/g;
is(scalar @un, 1, 'logged once');
unlike($b->log('wrong'), qr/not-the-password|\Q$pw\E/,
       'neither password in the log');
$b->stop_broker('wrong');

$b->done;
$t->done_testing;
