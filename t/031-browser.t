# A real browser's FormData: headless Chromium opens t/clients/browser/
# upload.html (served by the same nginx), which posts a File with a
# non-ASCII, quote-containing name through fetch and writes the result
# into the page.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Path qw(make_path);
use MIME::Base64 qw(decode_base64);
use URI::Escape qw(uri_escape);
use GraphAttach::Test;

my $chromium = GraphAttach::Test::chromium();
plan skip_all => 'chromium is not installed' unless $chromium;

my $t = GraphAttach::Test->new;
$t->start;

my $token = 'eyJ0eXAi.browser-token-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';

# The bytes upload.html builds.
my $data = join '', map { chr(($_ * 7) % 256) } 0 .. 4095;
my $trap = "\r\n------WebKitFormBoundary\r\n--";
substr($data, 1000, length $trap) = $trap;

sub browse {
    my ($name) = @_;
    return $t->browse_page('/upload.html?target=' . uri_escape("/graph$msg")
                           . '&name=' . uri_escape($name));
}

for my $name ('naïve "résumé" 日本.png', 'semi; x=y "q".png') {
    $t->graph_clear;
    my $res = browse($name);
    is($res->{status}, 201, "chromium FormData '$name': 201")
        or diag($res->{body});
    my ($rec) = grep { $_->{method} eq 'POST' } $t->graph_records;
    $t->check_upstream($rec, label => "chromium '$name'", token => $token,
                       name => $name, type => 'image/png', inline => 1,
                       content_id => 'cid-browser', data => $data,
                       path => "/v1.0$msg");
}

$t->done_testing;
