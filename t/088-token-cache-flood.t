# A client that can choose the token key (graph:token:$arg_k) must not be
# able to flush the cache: negative entries for missing keys never push
# out a live token, so a Redis outage right after still finds it; and the
# "does not exist" log line is rate-limited.

use strict;
use warnings;

use Test::More;
use Time::HiRes qw(sleep);

use FindBin;
use lib "$FindBin::Bin/lib";
use GraphAttach::Test;
use GraphAttach::Redis;

my $t = GraphAttach::Test->new(workers => 1);
my $redis = GraphAttach::Redis->new($t, name => 'flood')->start;
my $port = $redis->port;

$t->start_graph;
$t->start_nginx(workers => 1,
    key => 'graph:token:$arg_k',
    location_extra => "graph_attach_redis 127.0.0.1:$port timeout=500ms;",
    http => 'graph_attach_token_cache_time 30s;');

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';

sub upload {
    my ($key) = @_;
    return $t->post(path => "/graph$msg?k=$key",
                    parts => [ { name => 'file', filename => 's.txt',
                                 type => 'text/plain', data => 'x' } ])
           || { status => 0 };
}

my $token = 'eyJ0eXAi.flood-' . int(rand(1e9));
$t->secret($token);
$redis->cmd(SET => 'graph:token:good', $token, 'EX', 3600);
$t->graph_tokens($token);

is(upload('good')->{status}, 201, 'the good token is cached');

# 1200 missing keys of about 1 KB each fill the default 1 MB zone

my $mark = $t->log_mark;

for my $i (1 .. 1200) {
    upload(sprintf('x%05d', $i) . ('A' x 1000));
}

my $lines = () = $t->log_since($mark) =~ /does not exist/g;
cmp_ok($lines, '<=', 5, "missing keys are logged at most once a second "
                        . "($lines lines for 1200 requests)");

$redis->stop;
sleep 0.3;

my $r = upload('good');
is($r->{status}, 201, 'the cached token still serves during the outage')
    or diag($r->{body});

$t->done_testing;
