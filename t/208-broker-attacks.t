# The token broker against hostile neighbours, a hostile endpoint and a
# careless operator (attack review of issue 12):
#
# - an endpoint that quotes the client secret in an error field longer
#   than the broker keeps (trace_id, error_description), or quotes the
#   form it was sent (the secret %-encoded): no piece of the secret in
#   the log;
# - a client_secret_file that is a FIFO: no blocking open (the loop, the
#   other tenants, SIGTERM and -t all go on);
# - something else in Redis: a fence counter that is not a number, one
#   at INCR's limit, one past 2^53 (Lua's doubles), a lock with no TTL:
#   the broker still writes tokens, and asks no more often than it
#   should;
# - two tenants whose keys collide with each other's companion keys
#   (KEY:lock, KEY:fence, KEY:broker): refused by the configuration.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX qw(mkfifo);
use Time::HiRes qw(sleep time);
use GraphAttach::Test;
use GraphAttach::Broker;

my $t = GraphAttach::Test->new(no_module => 1);
$t->start_redis;
my $b = GraphAttach::Broker->new($t);

my $CLIENT = $GraphAttach::Broker::CLIENT;
my @names = qw(fifo long form garbage intmax big53 nottl);
my %T;
@T{@names} = map { sprintf('%08d-86f1-41af-91ab-2d7cd011db47', $_) }
             1 .. @names;

# a long secret (Entra ID's are 40 bytes; nothing stops a longer one),
# and one with bytes that the form %-encodes
my $long = $b->secret_file('long', join '', map { ('a' .. 'z', 0 .. 9)
                                                  [int rand 36] } 1 .. 150);
my $form = $b->secret_file('form', join '', map { ('A' .. 'Z', '+', '/', '=')
                                                  [int rand 29] } 1 .. 40);
my $app = $b->secret_file('app');

my $fifo = $b->conf_dir . '/fifo.secret';
mkfifo($fifo, 0600) or die "mkfifo: $!";

$b->configure(tenants => {
                  (map { $T{$_} => { $CLIENT => { secret => $app } } }
                   qw(fifo garbage intmax big53 nottl)),
                  $T{long} => { $CLIENT => { secret => $long } },
                  $T{form} => { $CLIENT => { secret => $form } },
              },
              expires_in => 3599);

(my $form_enc = $form) =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge;

# long: the secret at the end of a description, and as trace_id
$b->queue(tenant => $T{long}, status => 401, count => 100,
          json => { error => 'invalid_client',
                    error_description => 'AADSTS7000215: ' . ('x' x 170)
                                         . " $long",
                    error_codes => [7000215],
                    trace_id => $long, correlation_id => "c $long" });

# form: the request's form quoted back, as a broken proxy might
$b->queue(tenant => $T{form}, status => 400, count => 100,
          json => { error => 'invalid_request',
                    error_description => "AADSTS900144: bad form "
                                         . "client_secret=$form_enc&x=1",
                    trace_id => $form_enc });

# what another writer left in Redis
$t->redis('SET', 'graph:token:garbage:fence', 'not a number');
$t->redis('SET', 'graph:token:intmax:fence', '9223372036854775807');
$t->redis('SET', 'graph:token:big53:fence', '10000000000000000');
$t->redis('SET', 'graph:token:nottl:lock', 'intruder:1:0');

my @tenants = (
    { %{ $b->secret_tenant('fifo', tenant_id => $T{fifo}, file => 'app') },
      client_secret_file => $fifo },
    $b->secret_tenant('long', tenant_id => $T{long}, file => 'long'),
    $b->secret_tenant('form', tenant_id => $T{form}, file => 'form'),
    map { $b->secret_tenant($_, tenant_id => $T{$_}, file => 'app') }
        qw(garbage intmax big53 nottl),
);

my $conf = $b->conf('a', broker => { skew => '1s', timeout => '2s',
                                     backoff_min => '1s', backoff_max => '2s',
                                     lock_ttl => '2s',
                                     check_interval => '1s' },
                    tenants => \@tenants);

# --- -t does not wait for a writer on the FIFO ----------------------------

my $start = time;
my ($st, $out, $err) = $t->run(cmd => [ $b->binary, '-t', '-c', $conf ],
                               timeout => 5);
ok($st != -1 && time - $start < 4, '-t: the FIFO does not block');
like($err, qr/client_secret_file "\Q$fifo\E" is not a regular file/,
     '-t: the FIFO is no regular file');

# --- the broker -----------------------------------------------------------

$b->start_broker('a', $conf);

ok($b->wait_log('a', qr/tenant "fifo": token request failed: .*is not a regular file/, 5),
   'fifo: refused, not opened for a blocking read');

for my $n (qw(garbage intmax big53 nottl)) {
    ok($b->wait_token("graph:token:$n", 8), "$n: a token written");
}

like($t->redis('GET', 'graph:token:garbage:fence') // '', qr/^\d+$/,
     'garbage: the fence is a counter again');
for my $n (qw(intmax big53)) {
    my $m = $b->meta("graph:token:$n");
    ok($m && $m->{fence} < 9007199254740991,
       "$n: the fence starts over");
}

ok($b->wait_log('a', qr/tenant "long": token request failed/, 5)
   && $b->wait_log('a', qr/tenant "form": token request failed/, 5),
   'long, form: the errors logged');

# a fence past 2^53: Lua's doubles returned another number than the one
# stored, the write was refused as fenced, and the companion could not
# hold it; four seconds of check_interval 1s: one request, then checks
$b->records;
my $t0 = time;
sleep 4;
my @r = grep { $_->{tenant} eq $T{big53} } $b->records;
is(scalar @r, 1, 'big53: one request, none in the checks');

is($b->stop_broker('a'), 0, 'SIGTERM: the broker stops (exit 0)');

# --- no piece of a secret in the log --------------------------------------

my $log = $b->log('a');
my @leak;
for my $s ($long, $form, $form_enc) {
    for (my $i = 0; $i + 12 <= length $s; $i++) {
        my $w = substr($s, $i, 12);
        push @leak, $w if index($log, $w) >= 0;
    }
}
ok(!@leak, 'no 12 bytes of a secret (raw or %-encoded) in the log')
    or diag("found: @leak[0 .. ($#leak > 4 ? 4 : $#leak)]");
like($log, qr/tenant "long": .*\(withheld\)/, 'long: the quote withheld');

# --- keys that collide with a companion key -------------------------------

for my $suffix (qw(lock fence broker)) {
    my $c = $b->conf("collide-$suffix",
        tenants => [ $b->secret_tenant('one', file => 'app'),
                     $b->secret_tenant('two', file => 'app',
                                       key => "graph:token:one:$suffix") ]);
    my ($rc, undef, $e) = $b->run('-t', '-c', $c);
    ok($rc != 0 && $e =~ /\[tenant two\] .*"graph:token:one:$suffix".*\[tenant one\]/,
       "a key on [tenant one]'s KEY:$suffix is refused");
}

# --- SIGHUP storms ---------------------------------------------------------

# A reload abandons the requests in flight, releases the locks (the one
# kept through a backoff too) and starts every tenant over: each HUP
# against a slow endpoint is one more request, and a HUP ends a 429's
# Retry-After.  Keeping a tenant's request, backoff and lock across a
# reload that leaves it unchanged is a change of what HUP promises
# (tokens.md, "Signals"): left to a decision, marked TODO.

my %H = (slow => '00000101-86f1-41af-91ab-2d7cd011db47',
         throttled => '00000102-86f1-41af-91ab-2d7cd011db47');
$b->configure(tenants => { map { $_ => { $CLIENT => { secret => $app } } }
                           values %H },
              expires_in => 3599);
$b->clear;
$b->queue(tenant => $H{slow}, delay => 1, count => 100);
$b->queue(tenant => $H{throttled}, status => 429, aad_error => 'throttled',
          code => 50196, headers => { 'Retry-After' => 30 }, count => 100);
my $hconf = $b->conf('h', broker => { skew => '1s', timeout => '3s',
                                      lock_ttl => '5s' },
                     tenants => [ map { $b->secret_tenant($_,
                                            tenant_id => $H{$_},
                                            file => 'app') }
                                  qw(slow throttled) ]);
$b->start_broker('h', $hconf);
ok($b->wait_log('h', qr/tenant "throttled": .*HTTP 429.*next in 30\.0 s/, 5),
   'throttled: Retry-After 30 s honoured');
for (1 .. 20) {
    $b->signal_broker('h', 'HUP');
    sleep 0.1;
}
sleep 1.5;
ok($b->broker_alive('h'), 'alive after 20 HUPs');
my %n;
$n{$_->{tenant}}++ for $b->records;
TODO: {
    local $TODO = 'a reload starts every tenant over (see above)';
    ok(($n{$H{slow}} // 0) <= 3,
       "20 HUPs, a 1 s endpoint: at most 3 requests ($n{$H{slow}})");
    is($n{$H{throttled}} // 0, 1,
       'HUPs within a Retry-After: no request before it ends');
}
is($b->stop_broker('h'), 0, 'the broker stops after the HUPs');

$b->done;
$t->done_testing;
