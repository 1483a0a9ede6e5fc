# graph_attach_redis options: password= (AUTH), db= (SELECT), the
# directive at http, server and location level, several Redis servers
# holding the same key name without their tokens mixing, a wrong or
# missing password (503, one clear log line, no password in any log),
# and configuration errors.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use GraphAttach::Test;
use GraphAttach::Redis;

my $t = GraphAttach::Test->new;

my $pw = 's3cret-pw-' . int(rand(1e6));
my $bad = 'wrong-pw-' . int(rand(1e6));
$t->secret($pw);
$t->secret($bad);

my $a = GraphAttach::Redis->new($t, name => 'a', password => $pw)->start;
my $b = GraphAttach::Redis->new($t, name => 'b')->start;
my ($ap, $bp) = ($a->port, $b->port);

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';

sub loc {
    my ($prefix, $redis) = @_;
    return graph_location($prefix,
                          defined $redis ? "graph_attach_redis $redis;" : '');
}

# --- configuration errors -------------------------------------------------

sub conf_test {
    my (%opt) = @_;
    my $conf = $t->nginx_conf(%opt);
    $conf =~ s/^\s*graph_attach_redis 127\.0\.0\.1:\d+;\n//m
        if $opt{no_http_redis};
    my $file = $t->servroot . '/conf/test.conf';
    open(my $fh, '>', $file) or die "$file: $!";
    print {$fh} $conf;
    close $fh;
    my $out = `/usr/sbin/nginx -p @{[ $t->servroot ]}/ -c $file -t 2>&1`;
    return ($? == 0, $out);
}

my @bad = (
    [ 'host name', 'graph_attach_redis redis.example.com:6379;',
      qr/must be an IP address or unix: socket/ ],
    [ 'sentinel without master', 'graph_attach_redis sentinel=127.0.0.1:1;',
      qr/needs "master=" with "sentinel="/ ],
    [ 'master without sentinel', 'graph_attach_redis 127.0.0.1 master=m;',
      qr/needs "master=" with "sentinel="/ ],
    [ 'address and sentinel',
      'graph_attach_redis 127.0.0.1 sentinel=127.0.0.1 master=m;',
      qr/takes an address or "sentinel=", not both/ ],
    [ 'sentinel host name', 'graph_attach_redis sentinel=s.example master=m;',
      qr/must be an IP address/ ],
    [ 'sentinel on a unix socket',
      'graph_attach_redis sentinel=unix:/tmp/s.sock master=m;',
      qr/a sentinel must be an IP address/ ],
    [ 'bad db', 'graph_attach_redis 127.0.0.1 db=x;',
      qr/invalid parameter "db=x"/ ],
    [ 'bad timeout', 'graph_attach_redis 127.0.0.1 timeout=0;',
      qr/invalid parameter "timeout=0"/ ],
    [ 'misspelt option with a secret',
      "graph_attach_redis 127.0.0.1 pasword=$pw;",
      qr/invalid parameter "pasword=\.\.\."/ ],
    [ 'empty password', 'graph_attach_redis 127.0.0.1 password=;',
      qr/invalid parameter "password=(\.\.\.)?"/ ],
    [ 'duplicate', "graph_attach_redis 127.0.0.1:1;\n"
                   . "graph_attach_redis 127.0.0.1:2;",
      qr/"graph_attach_redis" directive is duplicate/ ],
);
for my $c (@bad) {
    my ($label, $dir, $re) = @$c;
    my ($ok, $out) = conf_test(location_extra => $dir);
    ok(!$ok, "nginx -t refuses: $label");
    like($out, $re, "  with a clear message: $label");
    unlike($out, qr/\Q$pw\E/, "  and no password: $label");
}

{
    my ($ok, $out) = conf_test(no_http_redis => 1);
    ok(!$ok, 'graph_attach without any graph_attach_redis is refused');
    like($out, qr/"graph_attach" needs "graph_attach_redis"/,
         '  "needs graph_attach_redis"');

    ($ok, $out) = conf_test(no_http_redis => 1,
                            location_extra =>
                                "graph_attach_redis 127.0.0.1:$bp;");
    ok($ok, 'graph_attach_redis in the location alone is enough')
        or diag($out);

    ($ok, $out) = conf_test(
        location_extra => "graph_attach_redis 127.0.0.1:$bp db=2 "
                        . "password=$pw timeout=250ms connect_timeout=2s;");
    ok($ok, 'all options together') or diag($out);
}

# --- three Redis settings, the same key name ------------------------------

# http level: the harness's %%REDIS%% (nothing listens there: no
# location uses it, so no worker connects to it).
# server level: Redis b (inherited by /b/).
# locations: a with the password, b db=3, a with a wrong password, a
# without a password.
$t->start_graph;
$t->start_nginx(
    location => "graph_attach on;\n"
              . "graph_attach_token_key graph:token:t1;\n"
              . "graph_attach_redis 127.0.0.1:$ap password=$pw;\n"
              . "proxy_pass http://127.0.0.1:%%GRAPH_PORT%%\$graph_attach_uri;",
    server => "graph_attach_redis 127.0.0.1:$bp;\n"
            . loc('/b/')
            . loc('/db3/', "127.0.0.1:$bp db=3")
            . loc('/wrong/', "127.0.0.1:$ap password=$bad timeout=300ms")
            . loc('/nopass/', "127.0.0.1:$ap"),
);

my %tok = (a => 'eyJ0eXAi.redis-a-' . int(rand(1e9)),
           b => 'eyJ0eXAi.redis-b-' . int(rand(1e9)),
           c => 'eyJ0eXAi.redis-b-db3-' . int(rand(1e9)));
$t->secret($_) for values %tok;
$a->cmd(SET => 'graph:token:t1', $tok{a});
$b->cmd(SET => 'graph:token:t1', $tok{b});
$b->cmd(SELECT => 3);
$b->cmd(SET => 'graph:token:t1', $tok{c});
$b->cmd(SELECT => 0);
$t->graph_tokens(values %tok);

sub up {
    my ($prefix) = @_;
    return $t->post(path => "$prefix$msg",
                    parts => [ { name => 'file', filename => 'o.txt',
                                 type => 'text/plain', data => 'opt' } ])
        || { status => 0 };
}

$t->graph_clear;
my @order = (qw(/graph /b /db3) x 3);
my @st = map { up($_)->{status} } @order;
is_deeply(\@st, [ (201) x @order ],
          'three Redis settings, same key name: all 201');
my %want = ('/graph' => $tok{a}, '/b' => $tok{b}, '/db3' => $tok{c});
is_deeply([ map { $_->{headers}{authorization} } $t->graph_records ],
          [ map { "Bearer $want{$_}" } @order ],
          'each location got the token of its own Redis and database '
          . '(AUTH and SELECT work, cache entries never mix)');

# --- a wrong password, no password ----------------------------------------

my $mark = $t->log_mark;
for my $prefix (qw(/wrong /nopass)) {
    $t->graph_clear;
    for (1 .. 4) {
        my $r = up($prefix);
        $t->check_error($r, status => 503, code => 'TokenUnavailable',
                        retry_after => 1, label => "$prefix, try $_");
    }
    $t->nothing_upstream($prefix);
}

# The log lines come from the connection handshake, right after the
# worker started, or from the first GET.
my $log = $t->log_since(0);
my @wrong = $log =~ /graph_attach: redis "127\.0\.0\.1:$ap" is unavailable: (AUTH failed: WRONGPASS[^\n]*)/g;
ok(@wrong >= 1 && @wrong <= 2,
   'wrong password: one log line per worker (' . scalar(@wrong) . ')')
    or diag($log);
like($wrong[0] // '', qr/wrong password/, '  saying "wrong password"');
my @noauth = $log =~ /graph_attach: redis "127\.0\.0\.1:$ap" is unavailable: ([^\n]*NOAUTH[^\n]*)/g;
ok(@noauth >= 1 && @noauth <= 2,
   'no password: one NOAUTH log line per worker (' . scalar(@noauth) . ')')
    or diag($log);
unlike($log, qr/\Q$bad\E|\Q$pw\E/, 'no password in error.log');
unlike($log, qr/graph_attach: redis "127\.0\.0\.1:$bp[^"]*" is unavailable/,
       'the good Redis settings had no trouble');

# The good locations are not disturbed by the bad ones.
$t->graph_clear;
is(up('/graph')->{status}, 201, 'the right password still works');
is(up('/db3')->{status}, 201, 'db=3 still works');

$t->done_testing;
