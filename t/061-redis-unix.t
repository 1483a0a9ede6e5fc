# graph_attach_redis unix:/path: the token comes over a unix socket.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use GraphAttach::Test;

my $t = GraphAttach::Test->new;
$t->start(redis_unix => 1);
like($t->slurp('conf/nginx.conf'), qr/graph_attach_redis unix:/,
     'nginx talks to Redis over a unix socket');

my $token = 'eyJ0eXAi.unix-token-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $r = $t->post(path => "/graph$msg",
                 parts => [ { name => 'file', filename => 'u.txt',
                              type => 'text/plain', data => 'unix' } ]);
is($r->{status}, 201, 'upload with the token from a unix socket: 201')
    or diag($r->{body});
my ($rec) = $t->graph_records;
$t->check_upstream($rec, label => 'unix socket', token => $token,
                   name => 'u.txt', type => 'text/plain', data => 'unix',
                   path => "/v1.0$msg");

$t->done_testing;
