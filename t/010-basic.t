# The core pipeline: a multipart upload becomes a Graph fileAttachment
# with the token from Redis; every Graph path form; text fields; what the
# client gets back.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use GraphAttach::Test;

my $t = GraphAttach::Test->new;
$t->start;

my $token = 'eyJ0eXAiOiJKV1Qi.basic-token-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $data = random_bytes(5000, 1) . "\r\n--boundary\r\n--" . random_bytes(100, 2);

# --- one upload, checked byte for byte ---------------------------------

my $r = $t->post(
    path    => "/graph$msg",
    headers => [ [ 'Authorization', 'Bearer client-own-credential' ],
                 [ 'Cookie', 'session=client-cookie-value' ],
                 [ 'Proxy-Authorization', 'Basic cHJveHk6cHc=' ] ],
    parts   => [ { name => 'file', filename => 'report.pdf',
                   type => 'application/pdf', data => $data } ],
);
is($r->{status}, 201, 'upload: 201 relayed from Graph')
    or diag($r->{raw_head} . ($r->{body} // ''));
is($r->{json}{name}, 'report.pdf', 'response is the attachment object');
is($r->{json}{'@odata.type'}, '#microsoft.graph.fileAttachment',
   'response @odata.type');
ok(is_guid($r->{headers}{'request-id'}), 'Graph request-id relayed');

my @rec = $t->graph_records;
is(scalar @rec, 1, 'one request upstream');
$t->check_upstream($rec[0], label => 'basic', token => $token,
                   path => "/v1.0$msg", name => 'report.pdf',
                   type => 'application/pdf', data => $data);
ok(!grep({ lc $_->[0] eq 'proxy-authorization' } @{ $rec[0]{header_list} }),
   'Proxy-Authorization not forwarded');
unlike(join("\n", map { "$_->[0]: $_->[1]" } @{ $rec[0]{header_list} }),
       qr/client-own-credential|client-cookie-value/,
       'client credentials appear in no upstream header');
is($r->{headers}{'client-request-id'} // $rec[0]{headers}{'client-request-id'},
   $rec[0]{headers}{'client-request-id'},
   'client-request-id in the response is the one sent upstream');

# --- client-request-id differs per request -----------------------------

$t->graph_clear;
my %ids;
for my $i (1 .. 3) {
    $t->post(path => "/graph$msg",
             parts => [ { name => 'f', filename => "a$i.txt",
                          type => 'text/plain', data => "n$i" } ]);
}
$ids{ $_->{headers}{'client-request-id'} // '' }++ for $t->graph_records;
is(scalar(grep { is_guid($_) } keys %ids), 3,
   'three requests, three different client-request-id GUIDs');

# --- text fields --------------------------------------------------------

my @field_cases = (
    [ 'fields before the file',
      [ { name => 'name', data => 'Renamed "Q3" report.pdf' },
        { name => 'contentType', data => 'application/x-custom' },
        { name => 'isInline', data => 'true' },
        { name => 'contentId', data => 'img1@contoso' },
        { name => 'file', filename => 'orig.bin',
          type => 'application/octet-stream', data => 'X' x 300 } ],
      name => 'Renamed "Q3" report.pdf', type => 'application/x-custom',
      inline => 1, content_id => 'img1@contoso', data => 'X' x 300 ],
    [ 'fields after the file',
      [ { name => 'attachment', filename => 'pic.png', type => 'image/png',
          data => "\x89PNG\r\n\x1a\n" . 'p' x 50 },
        { name => 'isInline', data => 'true' },
        { name => 'contentId', data => 'logo' },
        { name => 'unknownField', data => 'ignored' } ],
      name => 'pic.png', type => 'image/png', inline => 1,
      content_id => 'logo', data => "\x89PNG\r\n\x1a\n" . 'p' x 50 ],
    [ 'isInline=false, no Content-Type on the part',
      [ { name => 'isInline', data => 'false' },
        { name => 'file', filename => 'plain', data => 'abc' } ],
      name => 'plain', type => 'application/octet-stream', inline => 0,
      data => 'abc' ],
    [ 'a 1-byte file',
      [ { name => 'file', filename => 'one.bin',
          type => 'application/octet-stream', data => "\0" } ],
      name => 'one.bin', type => 'application/octet-stream', data => "\0" ],
    [ 'a 2-byte file (base64 padding)',
      [ { name => 'file', filename => 'two.bin',
          type => 'application/octet-stream', data => "\xff\xfe" } ],
      name => 'two.bin', data => "\xff\xfe" ],
    [ 'a 3-byte file (no padding)',
      [ { name => 'file', filename => 'three.bin',
          type => 'application/octet-stream', data => "\xfb\xef\xbe" } ],
      name => 'three.bin', data => "\xfb\xef\xbe" ],
    [ 'name with JSON specials',
      # On the wire: filename="quote \"q\" & <tag> 'x'.txt"
      [ { name => 'file', filename => q{quote \"q\" & <tag> 'x'.txt},
          type => 'text/plain', data => 'j' } ],
      name => q{quote "q" & <tag> 'x'.txt}, data => 'j' ],
);

for my $c (@field_cases) {
    my ($label, $parts, %want) = @$c;
    $t->graph_clear;
    my $r = $t->post(path => "/graph$msg", parts => $parts);
    is($r->{status}, 201, "$label: 201")
        or diag($r->{body});
    my ($rec) = $t->graph_records;
    $t->check_upstream($rec, label => $label, token => $token,
                       path => "/v1.0$msg", %want);
}

# --- every Graph path form ---------------------------------------------

my $u = '/users/bob@contoso.com';
my @paths = (
    [ "$u/messages/AAMk1=/attachments",                   "/v1.0$u/messages/AAMk1=/attachments" ],
    [ "/v1.0$u/messages/AAMk1=/attachments",              "/v1.0$u/messages/AAMk1=/attachments" ],
    [ "/beta$u/messages/AAMk1=/attachments",              "/beta$u/messages/AAMk1=/attachments" ],
    [ "$u/mailFolders/inbox/messages/M-1_x/attachments",  "/v1.0$u/mailFolders/inbox/messages/M-1_x/attachments" ],
    [ "$u/events/EV1=/attachments",                       "/v1.0$u/events/EV1=/attachments" ],
    [ "$u/calendar/events/EV2/attachments",               "/v1.0$u/calendar/events/EV2/attachments" ],
    [ "$u/calendars/CAL1/events/EV3/attachments",         "/v1.0$u/calendars/CAL1/events/EV3/attachments" ],
    [ "$u/calendarGroups/G1/calendars/C1/events/E1/attachments",
      "/v1.0$u/calendarGroups/G1/calendars/C1/events/E1/attachments" ],
    [ "/users/0b7c4a1e-2f0d-4c8e-9a3e-6a1b2c3d4e5f/messages/AAMk%3D/attachments",
      "/v1.0/users/0b7c4a1e-2f0d-4c8e-9a3e-6a1b2c3d4e5f/messages/AAMk=/attachments" ],
    [ "/users/guest_x.com%23EXT%23\@contoso.onmicrosoft.com/messages/M/attachments",
      "/v1.0/users/guest_x.com%23EXT%23\@contoso.onmicrosoft.com/messages/M/attachments" ],
);

for my $p (@paths) {
    my ($client, $upstream) = @$p;
    $t->graph_clear;
    my $r = $t->post(path => "/graph$client",
                     parts => [ { name => 'file', filename => 'p.txt',
                                  type => 'text/plain', data => 'path' } ]);
    is($r->{status}, 201, "POST /graph$client: 201")
        or diag($r->{body});
    my ($rec) = $t->graph_records;
    is(canon_path($rec ? $rec->{path} : ''), canon_path($upstream),
       "upstream path $upstream");
}

$t->done_testing;
