# The token from Redis: raw and JSON values, expiry, missing keys, Redis
# down, the shared cache (counted with INFO commandstats), a 401 from
# Graph dropping the cached token, tenants that never mix.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use GraphAttach::Test;

my $t = GraphAttach::Test->new;
$t->start(key => 'graph:token:$arg_tenant');

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $file = { name => 'file', filename => 'a.txt', type => 'text/plain',
             data => 'token test' };
my $n = 0;

sub tok { 'eyJ0eXAi.' . shift . '-' . int(rand(1e9)) }

sub upload {
    my ($tenant) = @_;
    $n++;
    return $t->post(path => "/graph$msg?tenant=$tenant",
                    parts => [ { %$file, data => "upload $n" } ]);
}

sub last_auth {
    my @rec = $t->graph_records;
    return @rec ? $rec[-1]{headers}{authorization} : undef;
}

# --- raw and JSON values -------------------------------------------------

{
    my $raw = tok('raw');
    $t->set_token('graph:token:raw', $raw);
    $t->graph_tokens($raw);
    $t->graph_clear;
    my $r = upload('raw');
    is($r->{status}, 201, 'raw token: 201') or diag($r->{body});
    is(last_auth(), "Bearer $raw", 'raw token: Authorization');

    my $js = tok('json');
    $t->set_token('graph:token:json',
                  { access_token => $js, expires_on => time + 3600,
                    token_type => 'Bearer' });
    $t->graph_tokens($js);
    $t->graph_clear;
    $r = upload('json');
    is($r->{status}, 201, 'JSON token: 201') or diag($r->{body});
    is(last_auth(), "Bearer $js", 'JSON token: Authorization is access_token');

    # expires_on as a string, as some brokers write it.
    my $js2 = tok('json-string');
    $t->set_token('graph:token:jsonstr',
                  { access_token => $js2, expires_on => '' . (time + 3600) });
    $t->graph_tokens($js2);
    $t->graph_clear;
    $r = upload('jsonstr');
    is($r->{status}, 201, 'JSON token, expires_on as a string: 201')
        or diag($r->{body});
}

# --- tokens that cannot be used: 503 TokenUnavailable --------------------

my @unusable = (
    [ 'missing key', 'missing', undef ],
    [ 'expired JSON token', 'expired',
      { access_token => tok('expired'), expires_on => time - 10 } ],
    [ 'JSON token within the 60 s skew', 'skew',
      { access_token => tok('skew'), expires_on => time + 30 } ],
    [ 'JSON without access_token', 'noaccess',
      { token => 'x', expires_on => time + 3600 } ],
    [ 'empty value', 'empty', '' ],
    # cJSON would end the string at the NUL and send "<token>" to Graph
    [ 'JSON token with \u0000', 'nul',
      '{"access_token":"' . tok('nul') . '\u0000x"}' ],
);
for my $u (@unusable) {
    my ($label, $tenant, $value) = @$u;
    $t->set_token("graph:token:$tenant", $value) if defined $value;
    $t->graph_tokens(ref $value ? $value->{access_token} // 'none' : 'none');
    $t->graph_clear;
    my $r = upload($tenant);
    $t->check_error($r, status => 503, code => 'TokenUnavailable',
                    retry_after => 1, label => $label);
    $t->nothing_upstream($label);
}

# --- the lookup starts while the body is still arriving -----------------

{
    my $early = tok('early');
    $t->set_token('graph:token:early', $early);
    $t->graph_tokens($early);
    $t->graph_clear;

    my $raw = $t->build_request(path => "/graph$msg?tenant=early",
                                parts => [ { %$file, data => 'e' x 3000 } ]);
    my $head_end = index($raw, "\r\n\r\n") + 4;
    my $before = $t->redis_get_calls;
    my $c = $t->connect;
    $c->send(substr($raw, 0, $head_end + 100));
    my $looked = $t->wait_for(sub { $t->redis_get_calls > $before }, 3);
    ok($looked, 'Redis GET issued before the body finished arriving');
    $c->send(substr($raw, $head_end + 100));
    my $r = $c->read_response;
    $t->seen($r);
    $c->close;
    is($r && $r->{status}, 201, 'and the upload then succeeds');
    is(last_auth(), "Bearer $early", 'with that token');
}

# --- the cache -----------------------------------------------------------

my $cached = tok('cached');
$t->set_token('graph:token:cached', $cached);
$t->graph_tokens($cached);

{
    my $before = $t->redis_get_calls;
    my @st = map { upload('cached')->{status} } 1 .. 6;
    is_deeply(\@st, [ (201) x 6 ], 'six uploads with one key: 201');
    my $gets = $t->redis_get_calls - $before;
    cmp_ok($gets, '>=', 1, 'the token was read from Redis');
    cmp_ok($gets, '<=', 2, "six uploads cost at most 2 GETs (got $gets)");

    $t->del_key('graph:token:cached');
    $t->graph_clear;
    @st = map { upload('cached')->{status} } 1 .. 3;
    is_deeply(\@st, [ (201) x 3 ],
              'after the key is deleted, the cached token keeps working');
    is(last_auth(), "Bearer $cached", 'cached token used');
}

# --- a 401 from Graph drops the cached token -----------------------------

{
    my $old = tok('rotate-old');
    $t->set_token('graph:token:rot', $old);
    $t->graph_tokens($old);
    is(upload('rot')->{status}, 201, 'rotation: first upload 201');
    is(upload('rot')->{status}, 201, 'rotation: cached token 201');

    # The broker rotates the token; Graph stops accepting the old one.
    my $new = tok('rotate-new');
    $t->set_token('graph:token:rot', $new);
    $t->graph_tokens($new, $cached);

    my $before = $t->redis_get_calls;
    $t->graph_clear;
    my $r = upload('rot');
    is($r->{status}, 401, 'Graph 401 with the old cached token is relayed');
    is($r->{json} && $r->{json}{error}{code}, 'InvalidAuthenticationToken',
       '401 body relayed');
    is(last_auth(), "Bearer $old", 'the old token was sent');
    is($t->redis_get_calls - $before, 0, 'no Redis GET for the cached token');

    $r = upload('rot');
    is($r->{status}, 201, 'next upload after the 401: 201');
    is(last_auth(), "Bearer $new", 'next upload uses the new token');
    is($t->redis_get_calls - $before, 1, 'one Redis GET after the 401');
}

# --- tenants never mix ---------------------------------------------------

{
    my %tok = map { $_ => tok("tenant-$_") } qw(ten1 ten2 ten3);
    $t->set_token("graph:token:$_", $tok{$_}) for keys %tok;
    $t->graph_tokens(values %tok);
    $t->graph_clear;
    my @order = (qw(ten1 ten2 ten3) x 4);
    my @st = map { upload($_)->{status} } @order;
    is_deeply(\@st, [ (201) x @order ], 'three tenants interleaved: all 201');
    my @got = map { $_->{headers}{authorization} } $t->graph_records;
    is_deeply(\@got, [ map { "Bearer $tok{$_}" } @order ],
              "each upload carried its own tenant's token");

    # The same, concurrently: every request is sent before any answer is
    # read, over fresh keys so that lookups are in flight together.
    my %tok2 = map { $_ => tok("conc-$_") } qw(c1 c2 c3 c4);
    $t->set_token("graph:token:$_", $tok2{$_}) for keys %tok2;
    $t->graph_tokens(values %tok2);
    $t->graph_clear;
    my @conc = (qw(c1 c2 c3 c4) x 5);
    my @conns;
    for my $i (0 .. $#conc) {
        my $c = $t->connect;
        $c->send($t->build_request(
            path => "/graph$msg?tenant=$conc[$i]",
            parts => [ { %$file, filename => "$conc[$i]-$i.txt",
                         data => "concurrent $i" } ]));
        push @conns, $c;
    }
    my @cst = map { my $r = $_->read_response; $t->seen($r); $_->close;
                    $r ? $r->{status} : 0 } @conns;
    is_deeply(\@cst, [ (201) x @conc ], '20 concurrent uploads: all 201');
    my @mixed = grep {
        my ($ten) = ($_->{json}{name} // '') =~ /^(c\d)-/;
        !$ten || ($_->{headers}{authorization} // '') ne "Bearer $tok2{$ten}";
    } $t->graph_records;
    is(scalar @mixed, 0, 'concurrent uploads: no token went to another tenant');
}

# --- Redis down ----------------------------------------------------------

{
    $t->graph_tokens($cached);
    $t->stop_redis;

    my $r = upload('cached');
    is($r->{status}, 201, 'Redis down: a cached token still works')
        or diag($r->{body});

    $t->graph_clear;
    $r = upload('never-seen');
    $t->check_error($r, status => 503, code => 'TokenUnavailable',
                    retry_after => 1, label => 'Redis down, nothing cached');
    $t->nothing_upstream('Redis down, nothing cached');

    $t->start_redis;
    my $back = tok('back');
    $t->set_token('graph:token:back', $back);
    $t->graph_tokens($back);
    my $ok = $t->wait_for(sub { upload('back')->{status} == 201 }, 15);
    ok($ok, 'Redis back: uploads work again without a reload');
}

$t->done_testing;
