# /me (graph_attach_user): "POST /graph/me/..." goes to Graph as
# "/users/{value}/...", the value taken for each request from what an
# authentication layer in front says (here nginx's own auth_basic, with an
# htpasswd file made by openssl, and auth_request with auth_request_set),
# and judged by graph_attach_mailboxes like any mailbox.  An empty value, or one that is no mailbox (a UPN or an
# object id), is 403 MailboxNotResolved and nothing reaches Graph.
#
# Next to the feature, the attacks: values built to leave the users/{id}
# segment (/, .., %2F, ?, #, controls, bidi, overlong), paths built to
# smuggle another mailbox past /me (/me/../users/x, /me%2F.., /ME/), a
# value left over from another request on the same connection, and the
# trust-model traps docs/security.md describes (a client's own header, and
# $remote_user under "satisfy any").  The $http_x_user locations stand for
# what an authenticating proxy would set: without one they are unsafe, and
# are here only to vary the value.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use MIME::Base64 qw(encode_base64);
use Test::More;
use GraphAttach::Test;
use GraphAttach::Hostile;

my $t = GraphAttach::Test->new;

# --- the htpasswd file: apr1 hashes made by openssl ----------------------

my %PASSWORD = (
    'alice@contoso.com' => 'alice-pw-' . int(rand(1e9)),
    'bob@contoso.com'   => 'bob-pw-' . int(rand(1e9)),
    'dave@fabrikam.com' => 'dave-pw-' . int(rand(1e9)),
    'carol'             => 'carol-pw-' . int(rand(1e9)),   # no UPN
);

{
    my $file = $t->servroot . '/conf/htpasswd';
    open(my $fh, '>', $file) or die "$file: $!";
    for my $user (sort keys %PASSWORD) {
        my $hash = `openssl passwd -apr1 '$PASSWORD{$user}'`;
        die "openssl passwd failed" if $? || $hash !~ /^\$apr1\$/;
        chomp $hash;
        print {$fh} "$user:$hash\n";
    }
    close $fh;
}

sub basic {
    my ($user, $password) = @_;
    $password //= $PASSWORD{$user};
    return (Authorization => 'Basic '
                             . encode_base64("$user:$password", ''));
}

# --- configuration ----------------------------------------------------------

my $GRAPH = 'proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;';
my $AUTH = 'auth_basic "graph";
            auth_basic_user_file %%SERVROOT%%/conf/htpasswd;';
my $SHOW = 'add_header X-Mailbox "[$graph_attach_mailbox]" always;
            add_header X-Uri "[$graph_attach_uri]" always;
            add_header X-Result "$graph_attach_result" always;
            access_log %%SERVROOT%%/logs/audit.log audit;';

my $http = <<'EOF';
    log_format audit escape=json
        '{"user":"$remote_user","mailbox":"$graph_attach_mailbox",'
        '"uri":"$graph_attach_uri","result":"$graph_attach_result",'
        '"status":"$status"}';

    # a bare user name made a UPN (what a directory of short names needs)
    map $http_x_user $graph_user_mapped {
        default                   "";
        "~^(?<u>[a-z][a-z0-9.]*)$" $u@contoso.com;
    }
EOF

my $server = <<"EOF";
        # the realistic case: nginx's auth_basic, the user is the mailbox
        location /basic/ {
            $AUTH
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            graph_attach_user \$remote_user;
            graph_attach_mailboxes ~*\@contoso\\.com\$;
            graph_attach_upload /_graph_upload;
            graph_attach_upload_hosts http://127.0.0.1:%%GRAPH_PORT%%;
            $SHOW
            $GRAPH
        }

        # the trap: "satisfy any" lets 127.0.0.1 in without a password,
        # and \$remote_user is then whatever the client's header says
        location /any/ {
            satisfy any;
            allow 127.0.0.1;
            deny all;
            $AUTH
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            graph_attach_user \$remote_user;
            $SHOW
            $GRAPH
        }

        # UNSAFE without an authenticating proxy in front: the client
        # chooses X-User.  Here only to vary the value.
        location /hdr/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            graph_attach_user \$http_x_user;
            $SHOW
            $GRAPH
        }

        # /me judged by the mailbox rules like any mailbox
        location /rules/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            graph_attach_user \$http_x_user;
            graph_attach_mailboxes alice\@contoso.com ~*\@fabrikam\\.com\$;
            $SHOW
            $GRAPH
        }

        # no graph_attach_user: /me is refused as before
        location /none/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            $SHOW
            $GRAPH
        }

        # a map in front, a fixed mailbox, and "off" below an inherited one
        location /map/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            graph_attach_user \$graph_user_mapped;
            $SHOW
            $GRAPH
        }

        location /svc/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            graph_attach_user svc-reports\@contoso.com;
            $SHOW
            $GRAPH
        }

        location /inherit/ {
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            graph_attach_user \$http_x_user;
            $SHOW
            $GRAPH

            location /inherit/off/ {
                graph_attach_user off;
                $GRAPH
            }
        }

        # users confined to their own mailbox: only /me paths are served
        # (docs/security.md), every other path under /own/ is refused
        location ~ ^/own/(v1\\.0/|beta/)?me/ {
            $AUTH
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            graph_attach_user \$remote_user;
            $SHOW
            $GRAPH
        }

        location /own/ {
            return 403;
        }

        location /_graph_upload {
            internal;
            proxy_pass \$graph_attach_upload_url;
        }

        # auth_request: a service answers 204 and names the user in X-User
        # (here the "service" maps the client's token to a user)
        location /authreq/ {
            auth_request /_auth;
            auth_request_set \$graph_user \$upstream_http_x_user;
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            graph_attach_user \$graph_user;
            $SHOW
            $GRAPH
        }

        # the same, reading the subrequest's header directly: not set in
        # the main request, so /me has no mailbox
        location /authreq-direct/ {
            auth_request /_auth;
            graph_attach on;
            graph_attach_token_key graph:token:t1;
            graph_attach_user \$upstream_http_x_user;
            $SHOW
            $GRAPH
        }

        location = /_auth {
            internal;
            proxy_pass http://127.0.0.1:%%PORT%%/_auth_service;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Token \$http_x_token;
        }

        location = /_auth_service {
            if (\$http_x_token = "alice-token") {
                add_header X-User alice\@contoso.com;
                return 204;
            }
            return 401;
        }
EOF

$t->start(http => $http, server => $server);

my $token = 'eyJ0eXAi.me-token-' . int(rand(1e9));
$GraphAttach::Hostile::TOKEN = $token;
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $M = '/me/messages/AAMk=/attachments';
my $FILE = { name => 'file', filename => 'notes.txt', type => 'text/plain',
             data => "to my own mailbox\n" };

my $lines_read = 0;

# the next N (default 1) lines of the audit log, the last one decoded
sub audit {
    my ($n) = @_;
    $n //= 1;
    my @a;
    $t->wait_for(sub {
        my @l = split /\n/, $t->slurp('logs/audit.log');
        @a = @l[$lines_read .. $#l];
        @a >= $n;
    }, 3);
    $lines_read += @a;
    is(scalar @a, $n, "$n audit line(s)") or diag(explain(\@a));
    return eval { decode_json($a[-1] // '') } || {};
}

# POSTs the file; returns (response, the records Graph got)
sub send_file {
    my (%o) = @_;
    $t->graph_clear;
    my $r = $t->post(parts => [ $o{file} || $FILE ], %o);
    return ($r, $t->graph_records);
}

sub accepted {
    my ($label, $r, $rec, $graph_path, %o) = @_;
    is($r->{status}, 201, "$label: 201") or diag($r->{body});
    $t->check_upstream($rec, label => $label, token => $token,
                       path => $graph_path, name => 'notes.txt',
                       type => 'text/plain', data => $FILE->{data});
}

sub denied {
    my ($label, $r, $status, $code, @rec) = @_;
    is($r->{status}, $status, "$label: $status") or diag($r->{body});
    is($r->{json}{error}{code}, $code, "$label: $code") if $code;
    is(scalar @rec, 0, "$label: nothing reached Graph")
        or diag(join ', ', map { "$_->{method} $_->{path}" } @rec);
}


# --- auth_basic --------------------------------------------------------------

{
    my ($r, $rec) = send_file(path => "/basic$M",
                              headers => { basic('alice@contoso.com') });
    accepted('auth_basic alice', $r, $rec,
             '/v1.0/users/alice@contoso.com/messages/AAMk=/attachments');
    is($rec && $rec->{headers}{authorization}, "Bearer $token",
       'auth_basic alice: the Basic credentials never reach Graph');
    is($r->{headers}{'x-mailbox'}, '[alice@contoso.com]',
       'auth_basic alice: $graph_attach_mailbox is the resolved mailbox');
    is($r->{headers}{'x-uri'},
       '[/v1.0/users/alice@contoso.com/messages/AAMk=/attachments]',
       'auth_basic alice: $graph_attach_uri');
    my $a = audit();
    is_deeply([ @{$a}{qw(user mailbox result status)} ],
              [ 'alice@contoso.com', 'alice@contoso.com', 'accepted', '201' ],
              'auth_basic alice: audit line');
}

{
    my ($r, $rec) = send_file(path => "/basic$M",
                              headers => { basic('bob@contoso.com') });
    accepted('auth_basic bob', $r, $rec,
             '/v1.0/users/bob@contoso.com/messages/AAMk=/attachments');
    audit();
}

for my $c (
    [ 'no credentials', {} ],
    [ 'wrong password', { basic('alice@contoso.com', 'guess') } ],
    [ 'unknown user', { basic('eve@contoso.com', 'x') } ],
) {
    my ($label, $h) = @$c;
    my ($r, @rec) = send_file(path => "/basic$M", headers => $h);
    denied("auth_basic $label", $r, 401, undef, @rec);
    audit();
}

# authenticated, but the name is no mailbox: 403, and the operator is told
{
    my $mark = $t->log_mark;
    my ($r, @rec) = send_file(path => "/basic$M",
                              headers => { basic('carol') });
    denied('auth_basic carol (no UPN)', $r, 403, 'MailboxNotResolved', @rec);
    like($r->{json}{error}{message}, qr/does not name a mailbox/,
         'auth_basic carol: the message says why');
    is($r->{headers}{'x-mailbox'}, '[]',
       'auth_basic carol: $graph_attach_mailbox empty (nothing resolved)');
    my $a = audit();
    is_deeply([ @{$a}{qw(user mailbox result status)} ],
              [ 'carol', '', 'MailboxNotResolved', '403' ],
              'auth_basic carol: audit line');
    like($t->log_since($mark),
         qr/\[warn\].*graph_attach_user "carol" \(5 bytes\) is not a mailbox/,
         'auth_basic carol: a warn line names the value');
}

# the mailbox rules judge the resolved mailbox
{
    my ($r, @rec) = send_file(path => "/basic$M",
                              headers => { basic('dave@fabrikam.com') });
    denied('auth_basic dave (not allowed)', $r, 403, 'MailboxNotAllowed',
            @rec);
    is($r->{headers}{'x-mailbox'}, '[dave@fabrikam.com]',
       'auth_basic dave: $graph_attach_mailbox is the refused mailbox');
    my $a = audit();
    is($a->{result}, 'MailboxNotAllowed', 'auth_basic dave: audit result');
}

# every /me form of the paths, any case, a version or none
for my $c (
    [ '/me/mailFolders/inbox/messages/M1/attachments',
      '/v1.0/users/alice@contoso.com/mailFolders/inbox/messages/M1/attachments' ],
    [ '/me/events/E1/attachments',
      '/v1.0/users/alice@contoso.com/events/E1/attachments' ],
    [ '/me/calendar/events/E1/attachments',
      '/v1.0/users/alice@contoso.com/calendar/events/E1/attachments' ],
    [ '/me/calendars/C1/events/E1/attachments',
      '/v1.0/users/alice@contoso.com/calendars/C1/events/E1/attachments' ],
    [ '/me/calendarGroups/G1/calendars/C1/events/E1/attachments',
      '/v1.0/users/alice@contoso.com/calendarGroups/G1/calendars/C1'
      . '/events/E1/attachments' ],
    [ '/v1.0/me/messages/M1/attachments',
      '/v1.0/users/alice@contoso.com/messages/M1/attachments' ],
    [ '/beta/me/messages/M1/attachments',
      '/beta/users/alice@contoso.com/messages/M1/attachments' ],
    [ '/ME/Messages/M1/attachments',
      '/v1.0/users/alice@contoso.com/messages/M1/attachments' ],
    [ '/%6De/messages/M1/attachments',
      '/v1.0/users/alice@contoso.com/messages/M1/attachments' ],
) {
    my ($path, $want) = @$c;
    my ($r, $rec) = send_file(path => "/basic$path",
                              headers => { basic('alice@contoso.com') });
    accepted("auth_basic $path", $r, $rec, $want);
    audit();
}

# /users/ still names its own mailbox: /me adds a form, confines nobody
# (that is what the /own/ locations below are for)
{
    my ($r, $rec) = send_file(
        path => '/basic/users/bob@contoso.com/messages/AAMk=/attachments',
        headers => { basic('alice@contoso.com') });
    accepted('auth_basic alice to /users/bob', $r, $rec,
             '/v1.0/users/bob@contoso.com/messages/AAMk=/attachments');
    audit();
}

# the value is each request's own: two users on one keep-alive connection
{
    $t->graph_clear;
    my @req = map {
        $t->build_request(path => "/basic$M", parts => [ $FILE ],
                          keepalive => 1, headers => { basic($_) })
    } qw(alice@contoso.com bob@contoso.com);
    push @req, $t->build_request(path => "/basic$M", parts => [ $FILE ]);
    my @r = $t->request(raw => join('', @req), count => 3);
    is_deeply([ map { $_->{status} } @r ], [ 201, 201, 401 ],
              'keep-alive alice, bob, nobody: 201, 201, 401');
    my @rec = $t->graph_records;
    is_deeply([ map { canon_path($_->{path}) } @rec ],
              [ '/v1.0/users/alice@contoso.com/messages/AAMk=/attachments',
                '/v1.0/users/bob@contoso.com/messages/AAMk=/attachments' ],
              'keep-alive: each request went to its own user\'s mailbox');
    audit(3);
}

# smuggling another mailbox past /me: refused before anything is resolved
for my $c (
    [ '/me/../users/bob@contoso.com/messages/AAMk=/attachments', 400,
      'InvalidPathSegment' ],
    [ '/me/%2e%2e/users/bob@contoso.com/messages/AAMk=/attachments', 400,
      'InvalidPathSegment' ],
    [ '/me%2F..%2Fusers%2Fbob@contoso.com/messages/AAMk=/attachments', 400,
      'InvalidPathSegment' ],
    [ '/me%2fmessages/AAMk=/attachments', 400, 'InvalidPathSegment' ],
    [ '/me/users/bob@contoso.com/messages/AAMk=/attachments', 404,
      'UnsupportedPath' ],
    [ '/me/me/messages/AAMk=/attachments', 404, 'UnsupportedPath' ],
    [ '/me/', 404, 'UnsupportedPath' ],
    [ '/me', 404, 'UnsupportedPath' ],
    [ '/me/messages/AAMk=/attachments/', 404, 'UnsupportedPath' ],
    [ '/me/messages/AAMk=/attachments/createUploadSession', 404,
      'UnsupportedPath' ],
    [ '/me/sendMail', 404, 'UnsupportedPath' ],
) {
    my ($path, $status, $code) = @$c;
    my ($r, @rec) = send_file(path => "/basic$path",
                              headers => { basic('alice@contoso.com') });
    denied("smuggling $path", $r, $status, $code, @rec);
    audit();
}

# --- an upload session goes to the resolved mailbox too ------------------

{
    my $data = random_bytes(3 * 1024 * 1024 + 17, 160);
    my ($r, @rec) = send_file(
        path => "/basic$M", timeout => 60, chunk_size => 65536,
        headers => { basic('alice@contoso.com') },
        file => { name => 'file', filename => 'scan.bin',
                  type => 'application/octet-stream', data => $data });
    is($r->{status}, 201, 'session as alice: 201') or diag($r->{body});
    my @create = grep { ($_->{kind} // '') eq 'create' } @rec;
    my @up = grep { ($_->{kind} // '') eq 'upload' } @rec;
    is(scalar @create, 1, 'session as alice: one createUploadSession');
    is(canon_path($create[0] ? $create[0]{path} : ''),
       '/v1.0/users/alice@contoso.com/messages/AAMk=/attachments'
       . '/createUploadSession',
       'session as alice: createUploadSession on users/{alice}');
    is($create[0] && $create[0]{headers}{authorization}, "Bearer $token",
       'session as alice: the create call carries the token, not Basic');
    ok(@up >= 1 && !grep({ $_->{headers}{authorization} } @up),
       'session as alice: ranges sent, none with Authorization');
    my ($s) = $t->graph_sessions;
    is($s && $s->{sha256}, sha256_hex($data),
       'session as alice: the file arrived whole');
    like($r->{headers}{location} // '',
         qr{/users/alice\@contoso\.com/messages/AAMk=/attachments/},
         'session as alice: Location under users/{alice}');
    is($r->{headers}{'x-mailbox'}, '[alice@contoso.com]',
       'session as alice: $graph_attach_mailbox');
    is($r->{headers}{'x-result'}, 'accepted', 'session: $graph_attach_result');
    my $a = audit();
    is_deeply([ @{$a}{qw(mailbox result)} ],
              [ 'alice@contoso.com', 'accepted' ], 'session: audit line')
        or diag(explain($a));
}

# --- satisfy any: $remote_user without a password ------------------------

{
    my ($r, @rec) = send_file(path => "/any$M");
    denied('satisfy any, no Authorization', $r, 403, 'MailboxNotResolved',
            @rec);
    like($r->{json}{error}{message}, qr/graph_attach_user is empty/,
         'satisfy any, no Authorization: the empty value\'s message');
    audit();

    # what docs/security.md warns of: allowed by address, the password is
    # never checked, and the name in the header is taken as it is
    my $rec;
    ($r, $rec) = send_file(path => "/any$M",
                           headers => { basic('bob@contoso.com', 'wrong') });
    is($r->{status}, 201,
       'satisfy any: a wrong password for bob still gets 201 (the trap)');
    is(canon_path($rec ? $rec->{path} : ''),
       '/v1.0/users/bob@contoso.com/messages/AAMk=/attachments',
       'satisfy any: ... into bob\'s mailbox: never pair the two');
    audit();
}

# --- value variations (X-User: unsafe without an authenticating proxy) ---

{
    my ($r, $rec) = send_file(path => "/hdr$M",
                              headers => { 'X-User' => 'alice@contoso.com' });
    accepted('X-User alice', $r, $rec,
             '/v1.0/users/alice@contoso.com/messages/AAMk=/attachments');
    audit();

    ($r, $rec) = send_file(
        path => "/hdr$M",
        headers => { 'X-User' => '0B3A5C1E-6f1d-4c1a-9c1b-1234567890ab' });
    accepted('X-User object id', $r, $rec,
             '/v1.0/users/0B3A5C1E-6f1d-4c1a-9c1b-1234567890ab/messages/'
             . 'AAMk=/attachments');
    audit();

    ($r, $rec) = send_file(path => "/hdr$M",
                           headers => { 'X-User' => "o'neil\@contoso.com" });
    accepted('X-User with an apostrophe', $r, $rec,
             '/v1.0/users/o%27neil@contoso.com/messages/AAMk=/attachments');
    audit();
}

my $mark = $t->log_mark;

for my $c (
    [ 'absent', undef, 'graph_attach_user is empty' ],
    [ 'empty', '', 'graph_attach_user is empty' ],
    [ 'path traversal', 'bob@contoso.com/../../users/eve@contoso.com' ],
    [ '..', '..' ],
    [ 'users/bob', 'users/bob@contoso.com' ],
    [ '%2F', 'alice%2F..%2Fbob@contoso.com' ],
    [ '%40', 'alice%40contoso.com' ],
    [ '?', 'alice@contoso.com?$select=id' ],
    [ '#', 'alice@contoso.com#x' ],
    [ 'guest #EXT#', 'x_y.com#EXT#@contoso.onmicrosoft.com' ],
    [ 'space', 'alice smith@contoso.com' ],
    [ 'control', "alice\x01\@contoso.com" ],
    [ 'tab', "alice\t\@contoso.com" ],
    [ 'DEL', "alice\x7f\@contoso.com" ],
    [ 'U+202E', "alice\xe2\x80\xae\@contoso.com" ],
    [ 'zero width space', "al\xe2\x80\x8bice\@contoso.com" ],
    [ 'not UTF-8', "alice\xff\@contoso.com" ],
    [ 'overlong', ('a' x 64) . '@' . ('b' x 45) . '.com' ],
    [ 'huge', ('a' x 3000) . '@contoso.com' ],
    [ 'down-level name', 'CONTOSO\\alice' ],
    [ 'bare name', 'alice' ],
    [ 'certificate subject', 'CN=alice,OU=Staff,O=Contoso' ],
    [ 'two mailboxes', 'alice@contoso.com,bob@contoso.com' ],
    [ 'me', 'me' ],
) {
    my ($label, $v, $message) = @$c;
    my %h = defined $v ? ('X-User' => $v) : ();
    # one warn line a second at most: a client may be choosing the values
    sleep 1.05 if $label =~ /^(absent|control|U\+202E)$/;
    my ($r, @rec) = send_file(path => "/hdr$M", headers => \%h);
    denied("X-User $label", $r, 403, 'MailboxNotResolved', @rec);
    like($r->{json}{error}{message} // '',
         qr/\Q@{[ $message || 'does not name a mailbox' ]}\E/,
         "X-User $label: the message");
    is($r->{headers}{'x-uri'}, '[]', "X-User $label: no \$graph_attach_uri");
    is($r->{headers}{'x-mailbox'}, '[]',
       "X-User $label: no \$graph_attach_mailbox");
    my $a = audit();
    is($a->{result}, 'MailboxNotResolved', "X-User $label: audit result");
}

{
    my $log = $t->log_since($mark);
    like($log, qr/\[warn\].*graph_attach_user is empty, \/me has no mailbox/,
         'error log: the empty value');
    like($log, qr/graph_attach_user "alice%01%40contoso\.com" \(18 bytes\)/,
         'error log: a control byte percent-encoded');
    like($log, qr/graph_attach_user "alice%E2%80%AE%40contoso\.com"/,
         'error log: U+202E percent-encoded');
    unlike($log, qr/[\x00-\x08\x0b-\x1f\x7f-\xff]/,
           'error log: no raw control or non-ASCII byte of a value');
    my @warn = grep { /graph_attach_user/ } split /\n/, $log;
    ok($t->valgrind || @warn < 24, 'error log: the lines are rate-limited ('
       . scalar(@warn) . ' for 24 refusals)');
}

# two X-User headers: never the second alone
{
    my ($r, @rec) = send_file(path => "/hdr$M",
                              headers => [ [ 'X-User', 'alice@contoso.com' ],
                                           [ 'X-User', 'bob@contoso.com' ] ]);
    ok($r->{status} == 403
       || ($r->{status} == 201 && @rec == 1
           && canon_path($rec[0]{path}) =~ m{/users/alice\@contoso\.com/}),
       'two X-User headers: refused (nginx >= 1.23 joins them) or the first')
        or diag("$r->{status} " . join ', ', map { $_->{path} } @rec);
    audit();
}

# the /users/ form does not look at the value at all
{
    my ($r, $rec) = send_file(
        path => '/hdr/users/alice@contoso.com/messages/AAMk=/attachments',
        headers => { 'X-User' => "bad\x01value" });
    accepted('/users/ with a bad X-User', $r, $rec,
             '/v1.0/users/alice@contoso.com/messages/AAMk=/attachments');
    audit();
}

# --- the mailbox rules ------------------------------------------------------

for my $c (
    [ 'alice@contoso.com', 201 ],
    [ 'ALICE@contoso.com', 201 ],
    [ 'dave@FABRIKAM.com', 201 ],
    [ 'bob@contoso.com', 403, 'MailboxNotAllowed' ],
    [ 'alice@contoso.com.evil.com', 403, 'MailboxNotAllowed' ],
    [ '', 403, 'MailboxNotResolved' ],
    [ 'alice@contoso.com/x', 403, 'MailboxNotResolved' ],
) {
    my ($v, $status, $code) = @$c;
    my ($r, @rec) = send_file(path => "/rules$M",
                              headers => { 'X-User' => $v });
    if ($status == 201) {
        accepted("rules $v", $r, $rec[0],
                 "/v1.0/users/$v/messages/AAMk=/attachments");
    } else {
        denied("rules '$v'", $r, $status, $code, @rec);
    }
    my $a = audit();
    is($a->{mailbox}, $code && $code eq 'MailboxNotResolved' ? '' : $v,
       "rules '$v': audited mailbox");
}

# --- without the directive, "off", a map, a fixed mailbox ------------------

{
    my ($r, @rec) = send_file(path => "/none$M",
                              headers => { 'X-User' => 'alice@contoso.com' });
    denied('no graph_attach_user', $r, 404, 'UnsupportedPath', @rec);
    audit();

    ($r, @rec) = send_file(path => "/inherit/off$M",
                           headers => { 'X-User' => 'alice@contoso.com' });
    denied('graph_attach_user off', $r, 404, 'UnsupportedPath', @rec);
    audit();

    my $rec;
    ($r, $rec) = send_file(path => "/inherit$M",
                           headers => { 'X-User' => 'alice@contoso.com' });
    accepted('graph_attach_user inherited', $r, $rec,
             '/v1.0/users/alice@contoso.com/messages/AAMk=/attachments');
    audit();

    ($r, $rec) = send_file(path => "/map$M",
                           headers => { 'X-User' => 'alice' });
    accepted('a map makes alice a UPN', $r, $rec,
             '/v1.0/users/alice@contoso.com/messages/AAMk=/attachments');
    audit();

    ($r, @rec) = send_file(path => "/map$M",
                           headers => { 'X-User' => 'alice/../bob' });
    denied('the map\'s default ""', $r, 403, 'MailboxNotResolved', @rec);
    audit();

    ($r, $rec) = send_file(path => "/svc$M",
                           headers => { 'X-User' => 'alice@contoso.com' });
    accepted('a fixed mailbox', $r, $rec,
             '/v1.0/users/svc-reports@contoso.com/messages/AAMk=/attachments');
    audit();
}

# --- auth_request ----------------------------------------------------------

{
    my ($r, $rec) = send_file(path => "/authreq$M",
                              headers => { 'X-Token' => 'alice-token' });
    accepted('auth_request alice', $r, $rec,
             '/v1.0/users/alice@contoso.com/messages/AAMk=/attachments');
    audit();

    my @rec;
    ($r, @rec) = send_file(path => "/authreq$M",
                           headers => { 'X-Token' => 'guess',
                                        'X-User' => 'bob@contoso.com' });
    denied('auth_request refused', $r, 401, undef, @rec);
    audit();

    ($r, @rec) = send_file(path => "/authreq-direct$M",
                           headers => { 'X-Token' => 'alice-token' });
    denied('$upstream_http_x_user without auth_request_set', $r, 403,
           'MailboxNotResolved', @rec);
    audit();
}

# --- confined to one's own mailbox: /own/ serves only /me ----------------

{
    my ($r, $rec) = send_file(path => "/own$M",
                              headers => { basic('alice@contoso.com') });
    accepted('own: /me', $r, $rec,
             '/v1.0/users/alice@contoso.com/messages/AAMk=/attachments');
    audit();

    ($r, $rec) = send_file(path => '/own/v1.0/me/events/E1/attachments',
                           headers => { basic('alice@contoso.com') });
    accepted('own: /v1.0/me', $r, $rec,
             '/v1.0/users/alice@contoso.com/events/E1/attachments');
    audit();

    for my $p ('/own/users/bob@contoso.com/messages/AAMk=/attachments',
               '/own/me/../users/bob@contoso.com/messages/AAMk=/attachments',
               '/own/me/%2e%2e/users/bob@contoso.com/messages/AAMk=/attachments',
               '/own/x/me/messages/AAMk=/attachments') {
        my @rec;
        ($r, @rec) = send_file(path => $p,
                               headers => { basic('alice@contoso.com') });
        ok($r->{status} == 403 || $r->{status} == 400 || $r->{status} == 404,
           "own: $p refused ($r->{status})");
        is(scalar @rec, 0, "own: $p: nothing reached Graph");
    }
    $lines_read = () = split /\n/, $t->slurp('logs/audit.log');
}

# --- configuration errors ---------------------------------------------------

sub conf_test {
    my (%opt) = @_;
    my $c = $t->nginx_conf(%opt);
    my $file = $t->servroot . '/conf/test.conf';
    open(my $fh, '>', $file) or die "$file: $!";
    print {$fh} $c;
    close $fh;
    my $out = `/usr/sbin/nginx -p @{[ $t->servroot ]}/ -c $file -t 2>&1`;
    return ($? == 0, $out);
}

for my $c (
    [ 'empty value', 'graph_attach_user "";',
      qr/empty value in "graph_attach_user"/ ],
    [ 'a fixed value that is no mailbox', 'graph_attach_user CONTOSO\\\\alice;',
      qr/is not a mailbox .* in "graph_attach_user"/ ],
    [ 'duplicate', "graph_attach_user \$remote_user;\n"
                   . "            graph_attach_user \$remote_user;",
      qr/"graph_attach_user" directive is duplicate/ ],
) {
    my ($label, $directive, $re) = @$c;
    my ($ok, $out) = conf_test(location_extra => $directive);
    ok(!$ok, "nginx -t refuses $label");
    like($out, $re, "nginx -t: $label: the message") or diag($out);
}

{
    my ($ok, $out) = conf_test(http => 'graph_attach_user $remote_user;');
    ok(!$ok, 'nginx -t refuses graph_attach_user at http level');
    like($out, qr/"graph_attach_user" directive is not allowed here/,
         'nginx -t: http level: the message');
}

$t->done_testing;
