# The token broker with a certificate credential: the client assertion
# JWT (RS256 and PS256) as Entra ID checks it (the stand-in verifies the
# signature with the registered certificate's key and checks x5t,
# x5t#S256, aud, iss, sub, nbf/exp and a jti never used before), a fresh
# assertion for every request, a certificate rotated on disk used at the
# next refresh, a key that is not registered (AADSTS700027), a key that
# does not match its certificate (refused before any request), and no
# assertion in any log.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha1 sha256);
use File::Copy qw(copy);
use MIME::Base64 qw(encode_base64url);
use Test::More;
use Time::HiRes qw(sleep time);
use GraphAttach::Test;
use GraphAttach::Broker;

my $t = GraphAttach::Test->new(no_module => 1);
$t->start_redis;
my $b = GraphAttach::Broker->new($t);

my $CLIENT = $GraphAttach::Broker::CLIENT;
my %T = map { $_ => sprintf('%08d-86f1-41af-91ab-2d7cd011db47', $_) } 1 .. 5;

my $a = $b->certificate('a');
my $c2 = $b->certificate('b');
my $rogue = $b->certificate('rogue');     # never registered

sub thumbprints {
    my ($cert) = @_;
    my $der = `openssl x509 -in '$cert->{cert}' -outform DER`;
    return (encode_base64url(sha1($der)), encode_base64url(sha256($der)));
}

my ($x5t_a, $s256_a) = thumbprints($a);
my ($x5t_b) = thumbprints($c2);

$b->configure(
    tenants => {
        (map { $T{$_} => { $CLIENT => { certificate => $a->{pem} } } } 1, 2),
        $T{3} => { $CLIENT => { certificates => [ $a->{pem}, $c2->{pem} ] } },
        (map { $T{$_} => { $CLIENT => { certificate => $a->{pem} } } } 4, 5),
    },
    expires_in => 3599);

# tenant 3 is refreshed every 2 s or so, its certificate rotated on disk
$b->queue(tenant => $T{3}, expires_in => 3, count => 100);

my $dir = $b->conf_dir;
copy($a->{key}, "$dir/rot.key");
copy($a->{cert}, "$dir/rot.crt");
chmod 0600, "$dir/rot.key";

my $conf = $b->conf('a', broker => { skew => '500ms', backoff_min => '10s' },
    tenants => [
        { name => 'rs', tenant_id => $T{1}, client_id => $CLIENT,
          certificate => $a->{cert}, private_key => $a->{key} },
        { name => 'ps', tenant_id => $T{2}, client_id => $CLIENT,
          certificate => $a->{cert}, private_key => $a->{key},
          assertion_alg => 'PS256' },
        { name => 'rot', tenant_id => $T{3}, client_id => $CLIENT,
          certificate => "$dir/rot.crt", private_key => "$dir/rot.key" },
        { name => 'rogue', tenant_id => $T{4}, client_id => $CLIENT,
          certificate => $rogue->{cert}, private_key => $rogue->{key} },
        { name => 'mismatch', tenant_id => $T{5}, client_id => $CLIENT,
          certificate => $a->{cert}, private_key => $rogue->{key} },
    ]);

my ($st, $out, $err) = $b->run('-t', '-c', $conf);
is($st, 1, '-t: the key that is not its certificate\'s is found');
like($err, qr/tenant "mismatch": private_key "\S+rogue\.key" does not belong to certificate "\S+a\.crt"/,
     '-t: says which');

$b->start_broker('a', $conf);

ok($b->wait_token("graph:token:$_", 10), "$_: a token in redis")
    for qw(rs ps rot);

my @rec = $b->records;

sub check_assertion {
    my ($name, $tenant, $alg, $x5t, $s256) = @_;
    my ($r) = grep { $_->{tenant} eq $tenant } @rec;
    subtest "$name: the assertion" => sub {
        ok($r, 'a request') or return;
        is($r->{checks}, undef, 'the stand-in verified it')
            or diag($r->{checks});
        is($r->{status}, 200, 'status 200');
        is_deeply([ sort keys %{ $r->{form} } ],
                  [ qw(client_assertion client_assertion_type client_id
                       grant_type scope) ], 'the form: no client_secret');
        is($r->{form}{client_assertion_type},
           'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
           'client_assertion_type');
        my $h = $r->{assertion}{header};
        my $c = $r->{assertion}{claims};
        is($h->{alg}, $alg, "alg $alg");
        is($h->{typ}, 'JWT', 'typ JWT');
        is($h->{x5t}, $x5t, 'x5t: base64url SHA-1 of the DER certificate');
        is($h->{'x5t#S256'}, $s256, 'x5t#S256: its SHA-256') if $s256;
        is($c->{aud}, $b->authority . "/$tenant/oauth2/v2.0/token",
           'aud: the token endpoint');
        is($c->{iss}, $CLIENT, 'iss: the client id');
        is($c->{sub}, $CLIENT, 'sub: the client id');
        ok(is_guid($c->{jti}), 'jti: a GUID');
        ok(abs($c->{nbf} - $r->{time}) <= 2, 'nbf: now');
        is($c->{iat}, $c->{nbf}, 'iat = nbf');
        is($c->{exp} - $c->{nbf}, 600, 'exp: 10 minutes later');
        like($r->{form}{client_assertion}, qr/^[\w-]+\.[\w-]+\.[\w-]+$/,
             'three base64url parts, no padding');
    };
}

check_assertion('RS256', $T{1}, 'RS256', $x5t_a, $s256_a);
check_assertion('PS256', $T{2}, 'PS256', $x5t_a, $s256_a);

# --- a fresh assertion each time, and the rotated certificate -------------

my @rot = $b->wait_records(0);
$t->wait_for(sub {
    @rot = grep { $_->{tenant} eq $T{3} } $b->records;
    @rot >= 2;
}, 10);
ok(@rot >= 2, 'rot: refreshed');
isnt($rot[0]{assertion}{claims}{jti}, $rot[1]{assertion}{claims}{jti},
     'each request its own jti');
is(scalar(grep { defined $_->{checks} } @rot), 0,
   'every refresh accepted (no jti used twice)');

# the certificate rotated: the next request is signed with b
copy($c2->{key}, "$dir/rot.key.new");
chmod 0600, "$dir/rot.key.new";
copy($c2->{cert}, "$dir/rot.crt");
rename("$dir/rot.key.new", "$dir/rot.key");
my $n = @rot;
$t->wait_for(sub {
    @rot = grep { $_->{tenant} eq $T{3} } $b->records;
    @rot >= $n + 2;
}, 10);
is($rot[-1]{assertion}{header}{x5t}, $x5t_b,
   'after the rotation on disk: signed with the new certificate, no reload');
is($rot[-1]{checks}, undef, 'and accepted');

# --- a key that is not registered, a key that is not the certificate's --

my ($rg) = grep { $_->{tenant} eq $T{4} } $b->records;
is($rg->{status}, 401, 'a certificate not registered: 401');
is($rg->{error}, 'invalid_client', 'invalid_client');
is_deeply($rg->{codes}, [700027], 'AADSTS700027');
ok($b->wait_log('a', qr/tenant "rogue": token request failed: \S+: HTTP 401 invalid_client AADSTS700027: "The certificate with identifier used to sign the client assertion is not registered on application\." \(trace_id [0-9a-f-]{36}, correlation_id [0-9a-f-]{36}, [\d-]+ [\d:]+Z, client-request-id [0-9a-f-]{36}\); attempt 1, next in \d+\.\d s; redis holds no token/, 5),
   'logged: the code, its text, the ids');
is($t->redis('GET', 'graph:token:rogue'), undef, 'nothing written');

is(scalar(grep { $_->{tenant} eq $T{5} } $b->records), 0,
   'a key that is not the certificate\'s: no request');
like($b->log('a'), qr/tenant "mismatch": token request failed: private_key "\S+" does not belong to certificate "\S+"; attempt 1/,
     'logged as a local failure');
is($t->redis('GET', 'graph:token:mismatch:lock'), undef,
   'a local failure releases the lock');
ok($t->redis('PTTL', 'graph:token:rogue:lock') > 5000,
   'a failure at the endpoint keeps it for the backoff (10 s and more)');

# the stand-in recorded every assertion: none is in a log (the harness
# checks logs/ for every secret at teardown, the assertions included)
my @all = $b->records;
ok(scalar(grep { $_->{form}{client_assertion} } @all) >= 5,
   'the assertions are secrets of the leak check');

is($b->stop_broker('a'), 0, 'TERM: exit 0');

$b->done;
$t->done_testing;
