# graph-attach-broker's command line (-h, -V, -t, unknown options), -t on
# good and broken files, the shipped example configuration and systemd
# unit; and the token-endpoint stand-in itself: it must refuse what Entra
# ID refuses, or the broker's tests prove nothing (a wrong secret, a
# forged or replayed assertion, the wrong audience, grant, scope...).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use MIME::Base64 qw(encode_base64url);
use Test::More;
use GraphAttach::Test;
use GraphAttach::Broker;

my $t = GraphAttach::Test->new(no_module => 1);
$t->start_redis;
my $b = GraphAttach::Broker->new($t);
my $ROOT = $t->root;

my $CLIENT = $GraphAttach::Broker::CLIENT;
my $TENANT = $GraphAttach::Broker::TENANT;

# --- -h, -V, options ---------------------------------------------------------

my ($st, $out, $err) = $b->run('-h');
is($st, 0, '-h: exit 0');
like($out, qr/^NAME\n    graph-attach-broker - /, '-h: a manual page, NAME');
like($out, qr/^$_$/m, "-h: $_") for qw(SYNOPSIS DESCRIPTION OPTIONS
                                        CONFIGURATION SIGNALS FILES),
                                     'EXIT STATUS', 'SEE ALSO';
like($out, qr{-c file   the configuration file \(default /etc/graph-attach/broker\.conf\)},
     '-h: the default configuration file');
like($out, qr/HUP        reread the configuration/, '-h: SIGHUP');
ok(!grep({ length > 79 } split /\n/, $out), '-h: fits 80 columns');

($st, $out) = $b->run('-V');
is($st, 0, '-V: exit 0');
like($out, qr/^graph-attach-broker \d+\.\d+\.\d+ \(libcurl\/[\d.]+ OpenSSL/,
     '-V: the version and libcurl\'s');

($st, $out, $err) = $b->run('-x');
is($st, 1, 'an unknown option: exit 1');
like($err, qr/unknown option "-x" \(-h for help\)/, 'and what to do');
($st, $out, $err) = $b->run('-c');
is($st, 1, '-c without a file: exit 1');

# --- -t ------------------------------------------------------------------

my $secret = $b->secret_file('app');
my $good = $b->conf('good', tenants => [ $b->secret_tenant('app') ]);
($st, $out, $err) = $b->run('-t', '-c', $good);
is($st, 0, '-t: a good file, exit 0');
like($err, qr/configuration file \S+broker-good\.conf test is successful: 1 tenant/,
     '-t: says so');
is(scalar(() = $b->records), 0, '-t: no token request');
is($t->redis('DBSIZE'), 0, '-t: nothing in redis');

my %broken = (
    'skew = 1 fortnight'        => qr/:3: "1 fortnight" is not a duration/,
    'redis = [::1'              => qr/:3: redis "\[::1": an IPv6 address/,
    'authority = http://example.com' => qr/plain http only to 127\.0\.0\.1/,
);
for my $line (sort keys %broken) {
    my $f = $b->conf('broken', text => '');
    my $text = GraphAttach::Test->slurp($f);
    $text =~ s/^\[broker\]\n/[broker]\n$line\n/m;
    $text .= "\n[tenant x]\ntenant_id = $TENANT\nclient_id = $CLIENT\n"
           . "client_secret_file = " . $b->secret_path('app') . "\n";
    open(my $fh, '>', $f) or die;
    print {$fh} $text;
    close $fh;
    ($st, $out, $err) = $b->run('-t', '-c', $f);
    is($st, 1, "-t: \"$line\": exit 1");
    like($err, $broken{$line}, "-t: \"$line\": file:line and why");
    like($err, qr/test failed/, '-t: test failed');
}

my $missing = $b->conf('missing', tenants => [
    $b->secret_tenant('app', file => 'nope') ]);
($st, $out, $err) = $b->run('-t', '-c', $missing);
is($st, 1, '-t: a missing secret file, exit 1');
like($err, qr/tenant "app": client_secret_file "\S+nope\.secret": No such file/,
     '-t: names it');

$b->secret_file('open', 'an-open-secret-' . int(rand(1e9)), 0644);
my $open = $b->conf('open', tenants => [ $b->secret_tenant('app', file => 'open') ]);
($st, $out, $err) = $b->run('-t', '-c', $open);
is($st, 0, '-t: a world-readable secret: exit 0, but');
like($err, qr/\[warn\] tenant "app": \S+open\.secret is readable by every user: chmod o-r it/,
     '-t: a warning');

# --- the example configuration -------------------------------------------

{
    my $dir = tempdir(DIR => $t->servroot . '/tmp', CLEANUP => 1);
    my $text = GraphAttach::Test->slurp("$ROOT/broker/graph-attach-broker.conf.example");
    like($text, qr{^client_secret_file = /etc/graph-attach/contoso\.secret$}m,
         'example: a secret file under /etc/graph-attach');
    $text =~ s{/etc/graph-attach/}{$dir/}g;
    open(my $fh, '>', "$dir/broker.conf") or die;
    print {$fh} $text;
    close $fh;
    open($fh, '>', "$dir/contoso.secret") or die;
    print {$fh} "example-secret\n";
    close $fh;
    chmod 0600, "$dir/contoso.secret";
    ($st, $out, $err) = $b->run('-t', '-c', "$dir/broker.conf");
    is($st, 0, 'example: -t passes once its files exist') or diag($err);

    # every name it mentions, commented out or not, is one the broker takes
    my @names = $text =~ /^#?([a-z_]+) = /mg;
    ok(@names >= 20, 'example: ' . scalar(@names) . ' names');
    (my $all = $text) =~ s/^#([a-z_]+ = )/$1/mg;
    $all =~ s/^(client_secret_file = .*)$/#$1/m;
    $all =~ s{^(certificate|private_key) = .*}{}mg;
    $all =~ s{^redis = unix:.*}{}m;
    $all =~ s{^redis_password_file = .*}{}m;
    $all =~ s{^assertion_alg = .*}{}m;
    $all =~ s{^ca_file = .*}{ca_file = $ROOT/t/servroot}m;
    $all .= "client_secret_file = $dir/contoso.secret\n";
    open($fh, '>', "$dir/all.conf") or die;
    print {$fh} $all;
    close $fh;
    ($st, $out, $err) = $b->run('-t', '-c', "$dir/all.conf");
    is($st, 0, 'example: with every default uncommented, still valid')
        or diag($err);
}

# --- the systemd unit ---------------------------------------------------------

{
    my $unit = GraphAttach::Test->slurp("$ROOT/broker/graph-attach-broker.service");
    like($unit, qr{^ExecStart=/usr/sbin/graph-attach-broker -c /etc/graph-attach/broker\.conf$}m,
         'unit: ExecStart');
    like($unit, qr{^ExecReload=/usr/sbin/graph-attach-broker -t .*\n^ExecReload=/bin/kill -HUP \$MAINPID$}m,
         'unit: reload tests the file, then SIGHUP');
    like($unit, qr/^User=graph-attach-broker$/m, 'unit: a user of its own');
    like($unit, qr/^RestartPreventExitStatus=78$/m,
         'unit: no restart loop on a bad configuration');
    like($unit, qr/^$_$/m, "unit: $_")
        for 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'CapabilityBoundingSet=',
            'PrivateTmp=yes', 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
            'SystemCallFilter=@system-service', 'MemoryDenyWriteExecute=yes';
    my $sysusers = GraphAttach::Test->slurp("$ROOT/broker/graph-attach-broker.sysusers");
    like($sysusers, qr/^u graph-attach-broker - /m, 'sysusers.d: the user');

  SKIP: {
        my ($sa) = grep { -x } map { "$_/systemd-analyze" } split /:/, $ENV{PATH};
        skip 'no systemd-analyze', 2 unless $sa;
        my $dir = tempdir(DIR => $t->servroot . '/tmp', CLEANUP => 1);
        (my $u = $unit) =~ s{/usr/sbin/graph-attach-broker}{$GraphAttach::Broker::BINARY}g;
        open(my $fh, '>', "$dir/graph-attach-broker.service") or die;
        print {$fh} $u;
        close $fh;
        my $v = `$sa verify '$dir/graph-attach-broker.service' 2>&1`;
        is($v, '', 'unit: systemd-analyze verify says nothing');
        my $s = `$sa security --offline=yes '$dir/graph-attach-broker.service' 2>&1`;
        my ($level) = $s =~ /Overall exposure level for \S+: ([\d.]+)/;
        ok(defined $level && $level < 2,
           'unit: systemd-analyze security: exposure ' . ($level // '?'));
    }
}

# --- the stand-in refuses what Entra ID refuses -------------------------------

my $cert = $b->certificate('app');
my $rogue = $b->certificate('rogue');
my $good_secret = $secret;
$b->configure(tenants => {
    $TENANT => { $CLIENT => { secret => $good_secret },
                 '22222222-2222-4222-8222-222222222222' => { certificate => $cert->{pem} } },
});
my $CERT_CLIENT = '22222222-2222-4222-8222-222222222222';
my $url = "/$TENANT/oauth2/v2.0/token";

sub post {
    my ($path, $body, %h) = @_;
    my $ct = delete $h{ctype} // 'application/x-www-form-urlencoded';
    my $method = delete $h{method} // 'POST';
    my $req = "$method $path HTTP/1.1\r\nHost: 127.0.0.1:" . $b->port . "\r\n"
            . "Connection: close\r\nContent-Type: $ct\r\n"
            . join('', map { "$_: $h{$_}\r\n" } sort keys %h)
            . "Content-Length: " . length($body) . "\r\n\r\n$body";
    my $c = GraphAttach::Test::Conn->new(port => $b->port, timeout => 10);
    $c->send($req);
    my $r = $c->read_response;
    $r->{json} = eval { decode_json($r->{body}) };
    return $r;
}

sub form {
    my (%f) = @_;
    return join '&', map {
        my $v = $f{$_};
        $v =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord $1)/ge;
        "$_=$v";
    } sort keys %f;
}

my %base = (grant_type => 'client_credentials', client_id => $CLIENT,
            scope => 'https://graph.microsoft.com/.default');

sub refused {
    my ($r, $status, $error, $code, $label) = @_;
    subtest "stand-in refuses: $label" => sub {
        is($r->{status}, $status, "status $status");
        is($r->{json}{error}, $error, $error);
        is_deeply($r->{json}{error_codes}, [$code], "AADSTS$code");
        like($r->{json}{error_description}, qr/^AADSTS$code: .*\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: /,
             'an Entra-shaped description');
        ok(is_guid($r->{json}{trace_id}) && is_guid($r->{json}{correlation_id}),
           'trace_id, correlation_id');
    };
}

my $r = post($url, form(%base, client_secret => $good_secret),
             'client-request-id' => '33333333-3333-4333-8333-333333333333',
             'return-client-request-id' => 'true');
is($r->{status}, 200, 'stand-in: the right secret, 200');
is($r->{json}{token_type}, 'Bearer', 'token_type Bearer');
is($r->{json}{expires_in}, 3599, 'expires_in 3599');
like($r->{json}{access_token}, qr/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT-like token');
like($r->{headers}{'cache-control'}, qr/no-store/, 'Cache-Control: no-store');
is($r->{headers}{'client-request-id'}, '33333333-3333-4333-8333-333333333333',
   'client-request-id returned');
$t->secret($r->{json}{access_token});

refused(post($url, form(%base, client_secret => 'wrong')), 401,
        'invalid_client', 7000215, 'a wrong secret');
refused(post($url, form(%base)), 401, 'invalid_client', 7000218,
        'no credential');
refused(post($url, form(%base, client_secret => $good_secret,
                        client_assertion => 'x')),
        400, 'invalid_request', 9002313, 'a secret and an assertion');
refused(post("/nosuch.example/oauth2/v2.0/token", form(%base)), 400,
        'invalid_request', 90002, 'an unknown tenant');
refused(post($url, '', method => 'GET'), 400, 'invalid_request', 900561,
        'GET');
refused(post($url, '{"grant_type":"client_credentials"}',
             ctype => 'application/json'), 400, 'invalid_request', 900144,
        'a JSON body');
refused(post($url, form(%base) . '&scope=x'), 400, 'invalid_request', 9000411,
        'a repeated field');
refused(post($url, form(%base, grant_type => 'password')), 400,
        'unsupported_grant_type', 70003, 'grant_type password');
refused(post($url, form(%base, client_id => '99999999-9999-4999-8999-999999999999')),
        400, 'unauthorized_client', 700016, 'an unknown client_id');
refused(post($url, form(%base, scope => 'https://graph.microsoft.com/Mail.ReadWrite')),
        400, 'invalid_scope', 1002012, 'a delegated scope');
refused(post($url, form(%base, scope => 'https://vault.azure.net/.default')),
        400, 'invalid_resource', 500011, 'another resource');

# assertions made here with openssl: RS256 is PKCS#1 v1.5 over SHA-256

sub assertion {
    my (%o) = @_;
    my $key = $o{key} // $cert->{key};
    my %h = (alg => 'RS256', typ => 'JWT', x5t => $o{x5t} // x5t($cert));
    my $now = time;
    my %c = (aud => $b->authority . $url, iss => $CERT_CLIENT,
             sub => $CERT_CLIENT, jti => $o{jti} // sprintf('%08x-0000-4000-8000-%012x', $now, rand(2**40)),
             nbf => $now, iat => $now, exp => $now + 600, %{ $o{claims} || {} });
    my $input = encode_base64url(encode_json(\%h)) . '.'
              . encode_base64url(encode_json(\%c));
    my $dir = $t->servroot . '/tmp';
    open(my $fh, '>', "$dir/jwt.in") or die;
    print {$fh} $input;
    close $fh;
    my $sig = `openssl dgst -sha256 -sign '$key' '$dir/jwt.in'`;
    return "$input." . encode_base64url($sig);
}

sub x5t {
    my ($c) = @_;
    my $der = `openssl x509 -in '$c->{cert}' -outform DER`;
    require Digest::SHA;
    return encode_base64url(Digest::SHA::sha1($der));
}

my %cbase = (%base, client_id => $CERT_CLIENT,
             client_assertion_type => 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
my $jwt = assertion(jti => 'aaaaaaaa-0000-4000-8000-000000000001');
$t->secret($jwt);
$r = post($url, form(%cbase, client_assertion => $jwt));
is($r->{status}, 200, 'stand-in: an assertion signed by the registered key, 200')
    or diag($r->{body});
$t->secret($r->{json}{access_token});
refused(post($url, form(%cbase, client_assertion => $jwt)), 401,
        'invalid_client', 50027, 'the same assertion again (jti replayed)');

my $forged = assertion(key => $rogue->{key});
$t->secret($forged);
refused(post($url, form(%cbase, client_assertion => $forged)), 401,
        'invalid_client', 700027, 'signed by another key, with the x5t of the registered one');
my $unknown = assertion(key => $rogue->{key}, x5t => x5t($rogue));
$t->secret($unknown);
refused(post($url, form(%cbase, client_assertion => $unknown)), 401,
        'invalid_client', 700027, 'a certificate not registered');
for ([ { aud => 'https://login.microsoftonline.com/x/oauth2/v2.0/token' },
       700023, 'another audience' ],
     [ { iss => $CLIENT }, 700021, 'iss not the client_id' ],
     [ { exp => time - 3600, nbf => time - 4000, iat => time - 4000 },
       700024, 'expired' ],
     [ { nbf => time + 3600, iat => time + 3600, exp => time + 4000 },
       700024, 'not yet valid' ]) {
    my $a = assertion(claims => $_->[0]);
    $t->secret($a);
    refused(post($url, form(%cbase, client_assertion => $a)), 401,
            'invalid_client', $_->[1], $_->[2]);
}
refused(post($url, form(%cbase, client_assertion => 'not.a.jwt')), 401,
        'invalid_client', 50027, 'a malformed assertion');
refused(post($url, form(%cbase, client_assertion_type => 'jwt',
                        client_assertion => assertion())),
        400, 'invalid_request', 900144, 'the wrong client_assertion_type');

$b->done;
$t->done_testing;
