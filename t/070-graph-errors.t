# Graph's own answers are relayed as they are: status, body, Retry-After,
# request-id; and uploads work again afterwards.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use GraphAttach::Test;

my $t = GraphAttach::Test->new;
$t->start;

my $token = 'eyJ0eXAi.relay-token-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $file = { name => 'file', filename => 'a.txt', type => 'text/plain',
             data => 'relay' };

my @canned = (
    [ '429 throttled', 429, { 'Retry-After' => '2.128' },
      { error => { code => 'ApplicationThrottled',
                   message => 'Application is over its MailboxConcurrency limit.' } } ],
    [ '503 unavailable', 503, { 'Retry-After' => '7' },
      { error => { code => 'ServiceUnavailable', message => 'Try later.' } } ],
    [ '404 draft not found yet', 404, {},
      { error => { code => 'ErrorItemNotFound',
                   message => 'The specified object was not found in the store.' } } ],
    [ '403 denied', 403, {},
      { error => { code => 'ErrorAccessDenied',
                   message => 'Access is denied.' } } ],
    [ '413 from Graph', 413, {},
      { error => { code => 'RequestEntityTooLarge',
                   message => 'The maximum request length supported is 4MB.' } } ],
    [ '500 bare', 500, {}, undef ],
);

for my $c (@canned) {
    my ($label, $status, $headers, $json) = @$c;
    $t->graph_clear;
    my $rid = sprintf('0000%04x-1111-2222-3333-444455556666', $status);
    $t->graph_queue(status => $status,
                    headers => { %$headers, 'request-id' => $rid },
                    ($json ? (json => $json) : (body => 'Internal Error')));
    my $r = $t->post(path => "/graph$msg", parts => [ $file ]);
    subtest "relayed: $label" => sub {
        is($r->{status}, $status, "status $status");
        is($r->{headers}{'retry-after'}, $headers->{'Retry-After'},
           'Retry-After as Graph sent it') if $headers->{'Retry-After'};
        is($r->{headers}{'request-id'}, $rid, 'request-id relayed');
        if ($json) {
            is_deeply($r->{json}, $json, 'body relayed as it is');
        } else {
            is($r->{body}, 'Internal Error', 'body relayed as it is');
        }
        is(scalar(my @rec = $t->graph_records), 1,
           'exactly one request upstream (no retry by the gateway)');
    };
}

# After all that, a normal upload.
$t->graph_clear;
my $r = $t->post(path => "/graph$msg", parts => [ $file ]);
is($r->{status}, 201, 'upload after Graph errors: 201');
my ($rec) = $t->graph_records;
$t->check_upstream($rec, label => 'after errors', token => $token,
                   name => 'a.txt', type => 'text/plain', data => 'relay');

$t->done_testing;
