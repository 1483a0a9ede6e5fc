# Prometheus metrics (graph_attach_metrics): the text format parsed by a
# real Prometheus parser (Debian's python3-prometheus-client), and every
# counter checked exactly against what the test sent and what the Graph
# stand-in received: accepted uploads, each refusal rule, Graph's 4xx and
# 5xx, a Graph that never answers, upload sessions (completed, failed,
# cancelled), several files, HTTP/2, bytes in and out, the histogram
# (cumulative, +Inf = _count = the requests), with two workers (exact
# across them), across a reload, and a reload with other buckets.
#
# A second nginx (cache time 5 s) for what needs the token cache's clock:
# hit, miss, refresh ahead, stale while Redis is down, error, and
# graph_attach_redis_up with Redis up and down.
#
# The attacks: a client cannot add a series or a label value (hostile
# names, paths, headers, query strings, thousands of mailboxes), the
# metrics location takes GET and HEAD only (405 JSON otherwise), can be
# closed with deny (403 JSON), and shows no token, mailbox, name or path.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP ();
use Test::More;
use Time::HiRes qw(sleep time);
use GraphAttach::Test;
use GraphAttach::Metrics;

my $t = GraphAttach::Test->new;

plan skip_all => 'python3-prometheus-client is not installed'
    unless system($GraphAttach::Test::PYTHON, '-c',
                  'import prometheus_client.parser') == 0;

my $KiB = 1024;
my $MiB = 1024 * 1024;
my $S = $t->slow;

# --- configuration ---------------------------------------------------------

my $GRAPH = 'proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;';
my $KEY = 'graph_attach_token_key graph:token:$arg_k;';
my $HOSTS = 'graph_attach_upload_hosts http://127.0.0.1:%%GRAPH_PORT%%;';

sub http_conf {
    my ($buckets) = @_;
    return <<"EOF";
    graph_attach_metrics_buckets $buckets;
    limit_req_zone \$server_name zone=metrics_rate:1m rate=1r/m;
    log_format workers '\$pid \$status \$graph_attach_result';
EOF
}

my $server = <<"EOF";
        location /rules/ {
            graph_attach on;
            $KEY
            graph_attach_mailboxes ~*\@contoso\\.com\$;
            graph_attach_allow_types text/plain application/pdf;
            graph_attach_max_size 64k;
            graph_attach_max_files 2;
            graph_attach_max_fields 2;
            $GRAPH
        }

        # UNSAFE without an authenticating proxy: here only for an
        # empty graph_attach_user
        location /hdr/ {
            graph_attach on;
            $KEY
            graph_attach_user \$http_x_user;
            $GRAPH
        }

        location /deny/ {
            deny all;
            graph_attach on;
            $KEY
            $GRAPH
        }

        location /rate/ {
            limit_req zone=metrics_rate;
            limit_req_status 429;
            graph_attach on;
            $KEY
            $GRAPH
        }

        location /big/ {
            graph_attach on;
            $KEY
            graph_attach_max_size 10m;
            graph_attach_upload_chunk 1m;
            graph_attach_upload /_graph_upload;
            $HOSTS
            $GRAPH
        }

        # Graph's own upload hosts only: the stand-in's is refused
        location /badhost/ {
            graph_attach on;
            $KEY
            graph_attach_max_size 10m;
            graph_attach_upload /_graph_upload;
            $GRAPH
        }

        location /_graph_upload {
            internal;
            proxy_pass \$graph_attach_upload_url;
        }

        location = /metrics {
            allow 127.0.0.1;
            deny all;
            graph_attach_metrics;
            access_log %%SERVROOT%%/logs/workers.log workers;
        }

        location = /metrics-closed {
            deny all;
            graph_attach_metrics;
        }
EOF

my $BUCKETS = '0.05 0.1 0.25 0.5 1 2.5 5 10';
my %conf = (
    http => http_conf($BUCKETS),
    server => $server,
    key => 'graph:token:$arg_k',
    location_extra => 'access_log %%SERVROOT%%/logs/workers.log workers;',
);

$t->start(%conf);

my $token = 'eyJ0eXAi.metrics-' . int(rand(1e9));
$t->graph_tokens($token);

my $MSG = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $n_key = 0;

# a key of its own (a miss, then hits), holding the token
sub new_key {
    my ($tt) = @_;
    $tt //= $t;
    my $k = 'k' . ++$n_key;
    $tt->set_token("graph:token:$k", $token);
    return $k;
}


# --- scraping ----------------------------------------------------------------

# the metrics once the counters are still (GraphAttach::Metrics)
sub scrape { settled($_[0] // $t) }

my $REQ = 'graph_attach_requests_total';
my $REF = 'graph_attach_refusals_total';
my $GR = 'graph_attach_graph_responses_total';
my $TOK = 'graph_attach_token_lookups_total';
my $SES = 'graph_attach_upload_sessions_total';
my $BYTES = 'graph_attach_bytes_total';
my $DUR = 'graph_attach_request_duration_seconds';

my %GRAPH_STATUS = map { $_ => 1 }
    qw(200 201 202 204 400 401 403 404 405 406 409 410 411 412 413 415 416
       422 423 429 500 501 503 504 507 509);

# What the stand-in received and answered: one response each by status,
# their request bodies as bytes out
sub graph_expect {
    my (%e) = @_;
    for my $rec ($t->graph_records) {
        next unless $rec->{status};
        my $st = $GRAPH_STATUS{ $rec->{status} } ? $rec->{status} : 'other';
        $e{ skey($GR, { status => $st }) }++;
        my $len = $rec->{kind} && $rec->{kind} eq 'upload'
                ? $rec->{body_length} // 0 : length($rec->{body});
        $e{ skey($BYTES, { direction => 'out' }) } += $len if $len;
    }
    delete $e{ skey($BYTES, { direction => 'out' }) }
        unless $e{ skey($BYTES, { direction => 'out' }) };
    return %e;
}

# The expected changes: requests by code, refusals by rule, tokens by
# result, sessions, bytes in; Graph's answers from the stand-in; the
# histogram counts every request
sub expect {
    my (%o) = @_;
    my %e;
    my $n = 0;
    for my $code (keys %{ $o{codes} || {} }) {
        $e{ skey($REQ, { code => $code }) } = $o{codes}{$code};
        $n += $o{codes}{$code};
    }
    $e{ skey($REF, { rule => $_ }) } = $o{rules}{$_}
        for keys %{ $o{rules} || {} };
    $e{ skey($TOK, { result => $_ }) } = $o{tokens}{$_}
        for keys %{ $o{tokens} || {} };
    $e{ skey($SES, { result => $_ }) } = $o{sessions}{$_}
        for keys %{ $o{sessions} || {} };
    $e{ skey($BYTES, { direction => 'in' }) } = $o{in} if $o{in};
    $e{"${DUR}_count"} = $n if $n;
    %e = graph_expect(%e) unless $o{no_graph};
    delete $e{$_} for grep { !$e{$_} } keys %e;
    return \%e;
}

sub check_changes {
    my ($label, $before, $after, $want) = @_;
    my $got = changes($before, $after);
    is_deeply($got, $want, "$label: the counters changed by exactly that")
        or diag(explain({ got => $got, want => $want }));
    check_histogram($label, $after);
}

# cumulative buckets, in the configured order, +Inf = _count
sub check_histogram {
    my ($label, $m, $bounds) = @_;
    my $fam = $m->{families}{$DUR};
    my @b = grep { $_->[0] eq "${DUR}_bucket" } @{ $fam->{samples} };
    my @le = map { $_->[1]{le} } @b;
    my $want_le = [ (map { fmt_le($_) } split ' ', ($bounds // $BUCKETS)),
                    '+Inf' ];
    is_deeply(\@le, $want_le, "$label: histogram le labels as configured")
        or diag("@le");
    my $mono = 1;
    for my $i (1 .. $#b) {
        $mono = 0 if $b[$i][2] < $b[$i - 1][2];
    }
    ok($mono, "$label: histogram buckets are cumulative");
    is($b[-1][2], value($m, "${DUR}_count"), "$label: +Inf bucket = _count");
}

sub fmt_le { my $v = shift; $v =~ s/\.?0+$// if $v =~ /\./; $v }

sub file_part {
    my ($name, $data, $type) = @_;
    return { name => 'file', filename => $name, type => $type // 'text/plain',
             data => $data };
}

sub up {
    my (%o) = @_;
    my $k = $o{k};
    my $path = ($o{prefix} // '/graph') . ($o{msg} // $MSG) . "?k=$k";
    return $t->post(path => $path, %o);
}


# --- the format --------------------------------------------------------------

my $m0 = scrape();

like($m0->{head}{headers}{'content-type'} // '',
     qr{^text/plain; version=0\.0\.4; charset=utf-8$},
     'Content-Type: text/plain; version=0.0.4; charset=utf-8');
is($m0->{head}{headers}{'content-length'}, length($m0->{text}),
   'Content-Length is the body length');

{
    my %types = map { $_->{name} => $_->{type} } @{ $m0->{list} };
    is_deeply(\%types, {
        graph_attach_requests => 'counter',
        graph_attach_refusals => 'counter',
        graph_attach_graph_responses => 'counter',
        graph_attach_token_lookups => 'counter',
        graph_attach_upload_sessions => 'counter',
        graph_attach_bytes => 'counter',
        graph_attach_request_duration_seconds => 'histogram',
        graph_attach_redis_up => 'gauge',
        graph_attach_redis_connected_workers => 'gauge',
        graph_attach_metrics_reset_time_seconds => 'gauge',
    }, 'every family parses with its TYPE (none untyped)')
        or diag(explain(\%types));

    my @no_help = grep { !length $_->{help} } @{ $m0->{list} };
    is(scalar @no_help, 0, 'every family has a HELP line');

    # the text format's grammar, line by line, stricter than the parser
    my @bad = grep {
        !/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* \S.*$/
        && !/^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram)$/
        && !/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"\})? (\d+(\.\d+)?)$/
    } split /\n/, $m0->{text};
    is(scalar @bad, 0, 'every line is a HELP, TYPE or sample line of 0.0.4')
        or diag(join "\n", @bad[0 .. ($#bad > 5 ? 5 : $#bad)]);
    like($m0->{text}, qr/\n\z/, 'the text ends with a newline');

    my %tok = map { $_->[1]{result} => 1 }
              @{ $m0->{families}{graph_attach_token_lookups}{samples} };
    is_deeply([ sort keys %tok ], [ sort qw(hit miss stale refresh error) ],
              'token results: hit, miss, stale, refresh, error');
    my %ses = map { $_->[1]{result} => 1 }
              @{ $m0->{families}{graph_attach_upload_sessions}{samples} };
    is_deeply([ sort keys %ses ],
              [ sort qw(created completed failed cancelled unknown) ],
              'session results');
    my %rule = map { $_->[1]{rule} => 1 }
               @{ $m0->{families}{graph_attach_refusals}{samples} };
    is_deeply([ sort keys %rule ],
              [ sort qw(path mailbox user size type extension content name
                        files limits encoding upload_host access rate) ],
              'refusal rules: a fixed set');
    my %st = map { $_->[1]{status} => 1 }
             @{ $m0->{families}{graph_attach_graph_responses}{samples} };
    is_deeply([ sort keys %st ], [ sort(keys %GRAPH_STATUS, 'other') ],
              "Graph's statuses: those Graph documents, and other");
    my %codes = map { $_->[1]{code} => 1 }
                @{ $m0->{families}{graph_attach_requests}{samples} };
    ok($codes{$_}, "code $_ is a series")
        for qw(2xx 4xx 5xx InvalidMultipart MailboxNotAllowed
               TokenUnavailable BadGateway ClientClosedRequest other);

    my $errors = $t->slurp($t->root . '/docs/errors.md');
    my @undoc = grep { !/^(\dxx|ClientClosedRequest|NoResponse|other)$/
                       && index($errors, "`$_`") < 0 } sort keys %codes;
    is(scalar @undoc, 0, 'every code label is a code of docs/errors.md')
        or diag("@undoc");

    is(value($m0, 'graph_attach_redis_up',
             redis => '127.0.0.1:' . $t->redis_port), 1,
       'graph_attach_redis_up{redis="127.0.0.1:port"} is 1');
    is(value($m0, 'graph_attach_redis_connected_workers',
             redis => '127.0.0.1:' . $t->redis_port), $t->valgrind ? 1 : 2,
       'both workers are connected');
    my $reset = value($m0, 'graph_attach_metrics_reset_time_seconds');
    ok($reset && abs($reset - time) < 60 * $S,
       'graph_attach_metrics_reset_time_seconds: when nginx started');
    check_histogram('at start', $m0);
    is(value($m0, "${DUR}_count"), 0, 'nothing counted before any request');
}

# a scrape counts nothing, whichever worker answers it
{
    my $a = scrape();
    my $b = scrape() for 1 .. 5;
    $b = scrape();
    is_deeply(changes($a, $b), {}, 'scraping counts nothing');
}


# --- accepted uploads ----------------------------------------------------------

{
    $t->graph_clear;
    my $k = new_key();
    my $before = scrape();
    my @sizes = (5, 100, 1000);
    for my $n (@sizes) {
        my $r = up(k => $k, parts => [ file_part("a$n.txt", 'x' x $n) ]);
        is($r->{status}, 201, "accepted upload of $n bytes: 201")
            or diag($r->{body});
    }
    my $after = scrape();
    my @rec = $t->graph_records;
    is(scalar @rec, 3, 'accepted: three POSTs reached Graph');
    check_changes('3 accepted', $before, $after, expect(
        codes => { '2xx' => 3 },
        tokens => { miss => 1, hit => 2 },
        in => 1105));
}

# --- each refusal rule --------------------------------------------------------

my $pe = "MZ\x90\0\3\0\0\0\4\0\0\0\xff\xff\0\0" . ("\0" x 48) . 'PE';

{
    my $k = new_key();
    # the key cached: lookups are hits
    is(up(k => $k, parts => [ file_part('warm.txt', 'w') ])->{status}, 201,
       'refusals: the key is cached');

    my @cases = (
        # label, request, status, code, rule, token looked up, file bytes
        [ 'mailbox', { prefix => '/rules',
                       msg => '/users/eve@fabrikam.com/messages/AAMk=/attachments',
                       parts => [ file_part('a.txt', 'abc') ] },
          403, 'MailboxNotAllowed', 'mailbox', 0, 0 ],
        [ 'path', { msg => '/users/alice@contoso.com/sendMail',
                    parts => [ file_part('a.txt', 'abc') ] },
          404, 'UnsupportedPath', 'path', 0, 0 ],
        [ 'path segment', { msg => '/users/alice@contoso.com/messages/a%2Fb/attachments',
                            parts => [ file_part('a.txt', 'abc') ] },
          400, 'InvalidPathSegment', 'path', 0, 0 ],
        [ 'user', { prefix => '/hdr',
                    msg => '/me/messages/AAMk=/attachments',
                    parts => [ file_part('a.txt', 'abc') ] },
          403, 'MailboxNotResolved', 'user', 0, 0 ],
        [ 'size, by Content-Length', { prefix => '/rules',
                    parts => [ file_part('a.txt', 'x' x (200 * $KiB)) ] },
          413, 'AttachmentTooLarge', 'size', 0, 0 ],
        [ 'type', { prefix => '/rules',
                    parts => [ file_part('a.gif', 'GIF89a....', 'image/gif') ] },
          415, 'AttachmentTypeNotAllowed', 'type', 1, 10 ],
        [ 'extension', { parts => [ file_part('a.exe', 'abcdef') ] },
          415, 'ExtensionNotAllowed', 'extension', 1, 6 ],
        [ 'content', { parts => [ file_part('a.pdf', $pe, 'application/pdf') ] },
          415, 'ContentMismatch', 'content', 1, length $pe ],
        [ 'name', { parts => [ file_part('=?UTF-8?B?aW52b2ljZS5leGU=?=', 'abc') ] },
          400, 'InvalidFileName', 'name', 1, 3 ],
        [ 'files', { prefix => '/rules',
                     parts => [ map { file_part("f$_.txt", 'ab') } 1 .. 3 ] },
          400, 'TooManyFiles', 'files', 1, 4 ],
        [ 'limits', { prefix => '/rules',
                      parts => [ (map { { name => "f$_", data => 'v' } }
                                  1 .. 3),
                                 file_part('a.txt', 'abc') ] },
          400, 'TooManyFields', 'limits', 1, 0 ],
        [ 'encoding', { headers => { 'Content-Encoding' => 'gzip' },
                        parts => [ file_part('a.txt', 'abc') ] },
          415, 'UnsupportedMediaType', 'encoding', 0, 0 ],
        [ 'access', { prefix => '/deny',
                      parts => [ file_part('a.txt', 'abc') ] },
          403, 'Forbidden', 'access', 0, 0 ],
    );

    for my $c (@cases) {
        my ($label, $req, $status, $code, $rule, $tok, $in) = @$c;
        $t->graph_clear;
        my $before = scrape();
        my $r = up(k => $k, %$req);
        $t->check_error($r, status => $status, code => $code,
                        label => "refused by $label");
        $t->nothing_upstream("refused by $label");
        my $after = scrape();
        check_changes("refused by $label", $before, $after, expect(
            codes => { $code => 1 }, rules => { $rule => 1 },
            ($tok ? (tokens => { hit => 1 }) : ()), in => $in));
    }

    # limit_req: the first passes, the second is refused (429)
    $t->graph_clear;
    my $before = scrape();
    my $r1 = up(k => $k, prefix => '/rate',
                parts => [ file_part('r1.txt', 'rate') ]);
    is($r1->{status}, 201, 'rate: the first request passes');
    my $r2 = up(k => $k, prefix => '/rate',
                parts => [ file_part('r2.txt', 'rate') ]);
    $t->check_error($r2, status => 429, code => 'TooManyRequests',
                    label => 'refused by rate');
    my $after = scrape();
    check_changes('refused by rate', $before, $after, expect(
        codes => { '2xx' => 1, TooManyRequests => 1 },
        rules => { rate => 1 }, tokens => { hit => 1 }, in => 4));

    # the upload session's host is not allowed: Graph created a session
    $t->graph_clear;
    $before = scrape();
    my $big = 'h' x (2 * $MiB + 100 * $KiB);
    my $r = up(k => $k, prefix => '/badhost',
               parts => [ file_part('big.txt', $big) ]);
    $t->check_error($r, status => 502, code => 'UploadHostNotAllowed',
                    label => 'refused by upload_host');
    $t->graph_sessions;
    $after = scrape();
    check_changes('refused by upload_host', $before, $after, expect(
        codes => { UploadHostNotAllowed => 1 },
        rules => { upload_host => 1 }, tokens => { hit => 1 },
        sessions => { created => 1, failed => 1 }, in => length $big));

    # malformed and wrong: counted by code, no rule
    $t->graph_clear;
    $before = scrape();
    $r = up(k => $k, body => "--b\r\nbroken", content_type =>
            'multipart/form-data; boundary=b');
    is($r->{status}, 400, 'a broken body: 400');
    $r = up(k => $k, method => 'GET');
    is($r->{status}, 405, 'GET: 405');
    $after = scrape();
    check_changes('malformed, wrong method', $before, $after, expect(
        codes => { ($r->{json}{error}{code} // 'MethodNotAllowed') => 1,
                   TruncatedBody => 1 },
        tokens => { hit => 1 }));
}

# --- Graph's 4xx and 5xx, and no answer ------------------------------------------

{
    my $k = new_key();
    is(up(k => $k, parts => [ file_part('warm.txt', 'w') ])->{status}, 201,
       'graph errors: the key is cached');

    $t->graph_clear;
    my $before = scrape();
    for my $st (404, 503, 418) {
        $t->graph_queue(status => $st,
                        json => { error => { code => "Err$st",
                                             message => 'canned' } });
        my $r = up(k => $k, parts => [ file_part("e$st.txt", "e$st") ]);
        is($r->{status}, $st, "Graph answers $st: relayed");
    }
    my $after = scrape();
    check_changes("Graph's 404, 503, 418", $before, $after, expect(
        codes => { '4xx' => 2, '5xx' => 1 }, tokens => { hit => 3 },
        in => 12));
    is(value($after, $GR, status => 'other')
       - (value($before, $GR, status => 'other') // 0), 1,
       '  418 is counted as other');

    # Graph reads the body and closes: no answer, nginx's own 502
    $t->graph_clear;
    $before = scrape();
    $t->graph_attachment_faults({ attachment => 1, drop => JSON::PP::true });
    my $r = up(k => $k, parts => [ file_part('drop.txt', 'drop') ]);
    $t->check_error($r, status => 502, code => 'BadGateway',
                    label => 'Graph closes without an answer');
    $after = scrape();
    check_changes('Graph closes without an answer', $before, $after, expect(
        codes => { BadGateway => 1 }, tokens => { hit => 1 }, in => 4));
    is(value($after, $BYTES, direction => 'out'),
       value($before, $BYTES, direction => 'out'),
       '  a body Graph never answered is not counted out');
}

# --- upload sessions ----------------------------------------------------------

my $two5 = join '', map { chr(65 + $_ % 26) x 1000 } 0 .. 2599;   # 2.6 MB

{
    my $k = new_key();

    $t->graph_clear;
    my $before = scrape();
    my $r = up(k => $k, prefix => '/big',
               parts => [ file_part('big.bin', $two5,
                                    'application/octet-stream') ]);
    is($r->{status}, 201, 'session: 201') or diag($r->{body});
    my @s = $t->graph_sessions;
    my $after = scrape();
    check_changes('a completed session', $before, $after, expect(
        codes => { '2xx' => 1 }, tokens => { miss => 1 },
        sessions => { created => 1, completed => 1 }, in => length $two5));
    is(value($after, $GR, status => '200') - value($before, $GR,
                                                   status => '200'), 2,
       '  two ranges answered 200, the last 201');

    # Graph refuses range 2 (400): cancelled with DELETE, 400 relayed
    $t->graph_clear;
    $t->graph_upload_faults({ range => 2, status => 400 });
    $before = scrape();
    $r = up(k => $k, prefix => '/big',
            parts => [ file_part('big.bin', $two5,
                                 'application/octet-stream') ]);
    is($r->{status}, 400, "failed session: Graph's 400 relayed");
    $t->graph_sessions;
    $after = scrape();
    check_changes('a failed session', $before, $after, expect(
        codes => { UploadFailed => 1 }, tokens => { hit => 1 },
        sessions => { created => 1, failed => 1 }, in => length $two5));

    # the client leaves during range 2: cancelled
    $t->graph_clear;
    $t->graph_upload_faults({ range => 2, stall => 2 });
    $before = scrape();
    my $c = $t->connect(timeout => 30);
    $c->send($t->build_request(
        path => "/big$MSG?k=$k",
        parts => [ file_part('gone.bin', $two5, 'application/octet-stream') ]));
    ok($t->wait_for(sub {
        grep { ($_->{kind} // '') eq 'upload' && $_->{range}
               && $_->{range}[0] == $MiB } $t->graph_records }, 20),
       'cancelled session: range 2 is out');
    $c->close;
    ok($t->wait_for(sub {
        grep { $_->{method} eq 'DELETE' && $_->{status} } $t->graph_records
    }, 20), 'cancelled session: DELETE answered');
    ok($t->wait_for(sub {
        my $m = scrape();
        (value($m, "${DUR}_count") // 0) > value($before, "${DUR}_count")
    }, 10), 'cancelled session: the request ended');
    $t->graph_sessions;
    $after = scrape();
    check_changes('a cancelled session', $before, $after, expect(
        codes => { ClientClosedRequest => 1 }, tokens => { hit => 1 },
        sessions => { created => 1, cancelled => 1 }, in => length $two5));
}

# --- several files, HTTP/2 --------------------------------------------------

{
    my $k = new_key();
    $t->graph_clear;
    my $before = scrape();
    my $r = up(k => $k, parts => [ file_part('one.txt', 'first file'),
                                   file_part('two.txt', 'second') ]);
    is($r->{status}, 201, 'two files: 201') or diag($r->{body});
    is(scalar(() = $t->graph_records), 2, 'two files: two POSTs');
    my $after = scrape();
    check_changes('two files in one request', $before, $after, expect(
        codes => { '2xx' => 1 }, tokens => { miss => 1 }, in => 16));

    $t->graph_clear;
    $before = scrape();
    my $file = $t->servroot . '/tmp/h2.txt';
    open(my $fh, '>', $file) or die;
    print {$fh} 'over h2';
    close $fh;
    $r = $t->curl('--http2-prior-knowledge', '-F', "file=\@$file;type=text/plain",
                  'http://127.0.0.1:' . $t->h2_port . "/graph$MSG?k=$k");
    is($r->{status}, 201, 'HTTP/2: 201') or diag($r->{body});
    $after = scrape();
    check_changes('HTTP/2', $before, $after, expect(
        codes => { '2xx' => 1 }, tokens => { hit => 1 }, in => 7));
}

# --- attacks: label values, series ------------------------------------------------

{
    my $k = new_key();
    $t->graph_clear;
    my $before = scrape();
    my $inject = 'a"} 1' . "\n" . $REQ . '{code="pwned"} 99' . "\n#.txt";
    my @r = (
        up(k => $k, parts => [ file_part($inject, 'x') ]),
        up(k => $k, parts => [ file_part('b.txt', 'x', 'text/plain; x="\\"}"') ]),
        up(k => $k, msg => '/users/pwned"}@contoso.com/messages/AAMk=/attachments',
           parts => [ file_part('c.txt', 'x') ]),
        up(k => $k, headers => { 'X-Code' => 'pwned', 'client-request-id' =>
                                 'pwned"}' },
           parts => [ file_part('d.txt', 'x') ]),
        $t->request(raw => "POST /graph/users/a\@contoso.com/messages/AAMk=/"
                         . "attachments?k=$k&code=pwned%22%7D HTTP/1.1\r\n"
                         . "Host: localhost\r\nContent-Length: 0\r\n"
                         . "Connection: close\r\n\r\n"),
    );
    my $after = scrape();
    is_deeply([ sort keys %{ $after->{s} } ], [ sort keys %{ $before->{s} } ],
              'hostile names, types, paths, headers and queries add no series');
    unlike($after->{text}, qr/pwned|contoso|\.txt|AAMk|\Q$token\E/,
           'the metrics hold no name, mailbox, path, id or token');
    my $d = changes($before, $after);
    my $sum = 0;
    $sum += $d->{$_} for grep { /^\Q$REQ\E/ } keys %$d;
    is($sum, scalar @r, 'each of them counted once');
}

# a mailbox per request: the series stay the same, however many
{
    my $k = new_key();
    my $n = $t->valgrind ? 30 : 300;
    $t->graph_clear;
    my $before = scrape();
    for my $i (1 .. $n) {
        my $r = up(k => $k, prefix => '/rules',
                   msg => "/users/u$i-" . int(rand(1e9))
                          . '@fabrikam.com/messages/AAMk=/attachments',
                   parts => [ file_part('m.txt', 'x') ]);
        last unless $r && $r->{status} == 403;
    }
    for my $i (1 .. 20) {
        up(k => $k, msg => "/users/u$i-" . int(rand(1e9))
                           . '@contoso.com/messages/AAMk=/attachments',
           parts => [ file_part('m.txt', 'x') ]);
    }
    my $after = scrape();
    is_deeply([ sort keys %{ $after->{s} } ], [ sort keys %{ $before->{s} } ],
              "$n + 20 distinct mailboxes add no series");
    check_changes("$n + 20 distinct mailboxes", $before, $after, expect(
        codes => { MailboxNotAllowed => $n, '2xx' => 20 },
        rules => { mailbox => $n }, tokens => { miss => 1, hit => 19 },
        in => 20));
    cmp_ok(abs(length($after->{text}) - length($before->{text})), '<', 200,
           'the metrics text did not grow with them');
}

# --- the metrics location ---------------------------------------------------------

{
    my $before = scrape();
    for my $method (qw(POST PUT DELETE PATCH)) {
        my $r = $t->request(raw => "$method /metrics HTTP/1.1\r\n"
                                 . "Host: localhost\r\nContent-Length: 5\r\n"
                                 . "Connection: close\r\n\r\nhello");
        $t->check_error($r, status => 405, code => 'MethodNotAllowed',
                        label => "$method /metrics");
        is($r->{headers}{allow}, 'GET, HEAD', "$method /metrics: Allow: GET, HEAD");
    }
    my $r = $t->request(raw => "HEAD /metrics HTTP/1.1\r\nHost: localhost\r\n"
                             . "Connection: close\r\n\r\n", head => 1);
    is($r->{status}, 200, 'HEAD /metrics: 200');
    ok($r->{headers}{'content-length'} > 1000, 'HEAD: a Content-Length');
    is($r->{body} // '', '', 'HEAD: no body');
    $r = $t->request(raw => "GET /metrics?code=pwned HTTP/1.1\r\n"
                          . "Host: localhost\r\nContent-Length: 3\r\n"
                          . "Connection: close\r\n\r\nabc");
    is($r->{status}, 200, 'GET with a body and a query: 200');
    unlike($r->{body}, qr/pwned/, '  the query is not echoed');
    $r = $t->request(raw => "GET /metrics-closed HTTP/1.1\r\n"
                          . "Host: localhost\r\nConnection: close\r\n\r\n");
    $t->check_error($r, status => 403, code => 'Forbidden',
                    label => 'a metrics location closed by deny');
    $r = $t->curl('--http2-prior-knowledge',
                  'http://127.0.0.1:' . $t->h2_port . '/metrics');
    is($r->{status}, 200, 'HTTP/2 GET /metrics: 200');
    like($r->{body}, qr/^# HELP graph_attach_requests_total /,
         'HTTP/2: the same text');
    my $after = scrape();
    is_deeply(changes($before, $after), {},
              'requests to the metrics location are not counted');
}

# --- exact across the workers -------------------------------------------------------

# Rounds of 40 uploads at once, until both workers have served some (the
# access log names the worker); the counts are exact over all of them.
# Scrapes, too, are answered by either worker, and all say the same.
SKIP: {
    skip 'one process under valgrind', 5 if $t->valgrind;
    my $k = new_key();
    is(up(k => $k, parts => [ file_part('warm.txt', 'w') ])->{status}, 201,
       'workers: the key is cached');
    $t->graph_clear;
    my $before = scrape();
    my $mark = -s $t->servroot . '/logs/workers.log' || 0;
    my ($ok, $sent, %pids) = (0, 0);
    for my $round (1 .. 5) {
        my @conns;
        for my $i (1 .. 40) {
            my $c = $t->connect;
            $c->send($t->build_request(path => "/graph$MSG?k=$k",
                                       parts => [ file_part("w$i.txt", 'ww') ]));
            push @conns, $c;
        }
        $sent += 40;
        $ok += grep { my $r = $_->read_response; $t->seen($r); $_->close;
                      $r && $r->{status} == 201 } @conns;
        my $log = substr($t->slurp('logs/workers.log'), $mark);
        %pids = map { (split ' ')[0] => 1 } grep { / 201 / }
                split /\n/, $log;
        last if keys %pids >= 2;
    }
    is($ok, $sent, "$sent uploads, 40 at a time: 201");
    is(scalar keys %pids, 2, 'both workers served some')
        or diag('served by ' . join ' ', sort keys %pids);
    my $after = scrape();
    check_changes("$sent uploads over both workers", $before, $after, expect(
        codes => { '2xx' => $sent }, tokens => { hit => $sent },
        in => 2 * $sent));

    $mark = -s $t->servroot . '/logs/workers.log' || 0;
    my @scrapes;
    for my $i (1 .. 20) {
        push @scrapes, scrape();
        my $log = substr($t->slurp('logs/workers.log'), $mark);
        my %by = map { (split ' ')[0] => 1 } split /\n/, $log;
        last if $i >= 4 && keys %by >= 2;
    }
    my $log = substr($t->slurp('logs/workers.log'), $mark);
    my %by = map { (split ' ')[0] => 1 } split /\n/, $log;
    is(scalar keys %by, 2, 'scrapes answered by both workers')
        or diag('scraped from ' . join ' ', sort keys %by);
    my @differ = grep { %{ changes($scrapes[0], $_) } } @scrapes;
    is(scalar @differ, 0, 'every scrape, from either worker, says the same');
}

# --- reloads ---------------------------------------------------------------

sub write_conf {
    my (%o) = @_;
    my $file = $t->servroot . '/conf/nginx.conf';
    open(my $fh, '>', $file) or die "$file: $!";
    print {$fh} $t->nginx_conf(%o);
    close $fh;
}

sub reload {
    my ($label) = @_;
    my %old = map { $_ => 1 } $t->nginx_workers;
    $t->reload_nginx;
    ok($t->wait_for(sub {
        my @w = $t->nginx_workers;
        @w >= 2 && !grep { $old{$_} } @w
    }, 20), "$label: new workers, the old ones gone");
}

SKIP: {
    skip 'no reload with master_process off (valgrind)', 20 if $t->valgrind;

    my $k = new_key();
    is(up(k => $k, parts => [ file_part('pre.txt', 'pre') ])->{status}, 201,
       'before the reload: an upload');
    my $before = scrape();

    write_conf(%conf);
    reload('reload');
    ok($t->wait_for(sub {
        value(scrape(), 'graph_attach_redis_connected_workers',
              redis => '127.0.0.1:' . $t->redis_port) == 2 }, 10),
       'reload: the new workers are connected to Redis');
    my $after = scrape();
    is_deeply(changes($before, $after), {},
              'reload: every counter and the histogram kept');
    is(value($after, 'graph_attach_metrics_reset_time_seconds'),
       value($before, 'graph_attach_metrics_reset_time_seconds'),
       'reload: the reset time kept');
    is(value($after, 'graph_attach_redis_up',
             redis => '127.0.0.1:' . $t->redis_port), 1,
       'reload: graph_attach_redis_up 1');
    check_histogram('reload', $after);

    # other buckets: the histogram starts again, the counters stay
    my $NEW = '0.01 0.5 3';
    my $mark = $t->log_mark;
    write_conf(%conf, http => http_conf($NEW));
    reload('reload with other buckets');
    my $m = scrape();
    like($t->log_since($mark),
         qr/\[notice\].*graph_attach_metrics_buckets changed/,
         'other buckets: logged at notice');
    check_histogram('other buckets', $m, $NEW);
    is(value($m, "${DUR}_count"), 0, 'other buckets: the histogram is empty');
    is(value($m, "${DUR}_sum"), 0, '  and its sum 0');
    my %was = %{ changes({ s => {} }, $before) };
    my %now = %{ changes({ s => {} }, $m) };
    delete $was{"${DUR}_count"};
    is_deeply(\%now, \%was, 'other buckets: every counter kept');

    $t->graph_clear;
    $before = $m;
    for my $i (1 .. 2) {
        is(up(k => $k, parts => [ file_part("n$i.txt", 'nn') ])->{status},
           201, "after the new buckets: upload $i");
    }
    $after = scrape();
    $BUCKETS = $NEW;
    check_changes('after the new buckets', $before, $after, expect(
        codes => { '2xx' => 2 }, tokens => { hit => 2 }, in => 4));

    # back to the first buckets: a fresh histogram again, nothing stale
    $mark = $t->log_mark;
    write_conf(%conf);
    $BUCKETS = '0.05 0.1 0.25 0.5 1 2.5 5 10';
    reload('reload with the first buckets again');
    $m = scrape();
    check_histogram('first buckets again', $m);
    is(value($m, "${DUR}_count"), 0,
       'first buckets again: the histogram starts from 0, not from old counts');
}

# a configuration that shows both graph_attach and metrics in one place
{
    my $file = $t->servroot . '/conf/both.conf';
    my $conf = $t->nginx_conf(conf => <<'EOF');
load_module %%MODULE%%;
events {}
http {
    graph_attach_redis %%REDIS%%;
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            graph_attach on;
            graph_attach_token_key k;
            graph_attach_metrics;
        }
    }
}
EOF
    open(my $fh, '>', $file) or die;
    print {$fh} $conf;
    close $fh;
    my $out = `/usr/sbin/nginx -p @{[ $t->servroot ]}/ -c $file -t 2>&1`;
    isnt($?, 0, 'graph_attach on and graph_attach_metrics in one location: '
                . 'refused');
    like($out, qr/"graph_attach_metrics" and "graph_attach on" in one location/,
         '  with a clear message');

    for my $b ('0', '0.1 0.1', '0.2 0.1', '1e3', '-1', '+Inf',
               join(' ', map { $_ / 10 } 1 .. 33))
    {
        $conf = $t->nginx_conf(conf => <<"EOF");
load_module %%MODULE%%;
events {}
http {
    graph_attach_metrics_buckets $b;
}
EOF
        open($fh, '>', $file) or die;
        print {$fh} $conf;
        close $fh;
        $out = `/usr/sbin/nginx -p @{[ $t->servroot ]}/ -c $file -t 2>&1`;
        isnt($?, 0, "graph_attach_metrics_buckets $b: refused");
    }
}


# --- the token cache and Redis (a second nginx, cache time 5 s) -------------

my $u = GraphAttach::Test->new(name => '180-metrics-tokens');
$u->start(key => 'graph:token:$arg_k',
          http => 'graph_attach_token_cache_time 5s;',
          server => "        location = /metrics { graph_attach_metrics; }\n");
$u->graph_tokens($token);

sub uup {
    my ($k) = @_;
    return $u->post(path => "/graph$MSG?k=$k",
                    parts => [ file_part('t.txt', 'tok') ]);
}

my $RLABEL = '127.0.0.1:' . $u->redis_port;
my $W = $u->valgrind ? 1 : 2;

{
    my $m = scrape($u);
    is(value($m, 'graph_attach_redis_up', redis => $RLABEL), 1,
       'tokens: graph_attach_redis_up 1 with Redis up');
    is(value($m, 'graph_attach_redis_connected_workers', redis => $RLABEL), $W,
       "tokens: $W workers connected");

    # miss, hit; a missing key: error, then the remembered miss: error
    my $k = new_key($u);
    my $before = scrape($u);
    is(uup($k)->{status}, 201, 'tokens: miss: 201');
    is(uup($k)->{status}, 201, 'tokens: hit: 201');
    is(uup('nokey')->{status}, 503, 'tokens: a missing key: 503');
    is(uup('nokey')->{status}, 503, 'tokens: the same, remembered: 503');
    my $after = scrape($u);
    my $d = changes($before, $after);
    is_deeply({ map { $_ => $d->{$_} } grep { /^\Q$TOK\E/ } keys %$d },
              { skey($TOK, { result => 'miss' }) => 1,
                skey($TOK, { result => 'hit' }) => 1,
                skey($TOK, { result => 'error' }) => 2 },
              'tokens: miss 1, hit 1, error 2');
    is($d->{ skey($REQ, { code => 'TokenUnavailable' }) }, 2,
       '  TokenUnavailable counted twice');

    # refresh ahead: fresh until s+5, refreshed from s+4
    sleep(1 - (time - int(time)) + 0.05);
    my $s = int(time);
    my $kr = new_key($u);
    is(uup($kr)->{status}, 201, 'refresh: the key fetched');
    sleep($s + 4.3 - time) if time < $s + 4.3;
    $before = scrape($u);
    is(uup($kr)->{status}, 201, 'refresh: in the last fifth');
    is(uup($kr)->{status}, 201, 'refresh: again');
    $after = scrape($u);
    $d = changes($before, $after);
    SKIP: {
        skip 'too slow for the refresh window', 1 if time > $s + 5;
        is_deeply({ map { $_ => $d->{$_} } grep { /^\Q$TOK\E/ } keys %$d },
                  { skey($TOK, { result => 'refresh' }) => 1,
                    skey($TOK, { result => 'hit' }) => 1 },
                  'refresh: one refresh ahead, then a hit');
    }

    # Redis down: the workers say so; a token past its fresh life is
    # served stale, an unknown key is an error
    my $ks = new_key($u);
    is(uup($ks)->{status}, 201, 'stale: the key fetched');
    my $fetched = time;
    $u->stop_redis;
    ok($u->wait_for(sub {
        my $m = scrape($u);
        value($m, 'graph_attach_redis_up', redis => $RLABEL) == 0
        && value($m, 'graph_attach_redis_connected_workers',
                 redis => $RLABEL) == 0
    }, 10), 'Redis down: graph_attach_redis_up 0, no worker connected');
    sleep($fetched + 5.3 - time) if time < $fetched + 5.3;
    $before = scrape($u);
    is(uup($ks)->{status}, 201, 'stale: served while Redis is down');
    is(uup('never-seen')->{status}, 503, 'Redis down, nothing cached: 503');
    $after = scrape($u);
    $d = changes($before, $after);
    is_deeply({ map { $_ => $d->{$_} } grep { /^\Q$TOK\E/ } keys %$d },
              { skey($TOK, { result => 'stale' }) => 1,
                skey($TOK, { result => 'error' }) => 1 },
              'Redis down: stale 1, error 1');

    $u->start_redis;
    $u->set_token("graph:token:$ks", $token);
    ok($u->wait_for(sub {
        my $m = scrape($u);
        value($m, 'graph_attach_redis_up', redis => $RLABEL) == 1
        && value($m, 'graph_attach_redis_connected_workers',
                 redis => $RLABEL) == $W
    }, 15), "Redis back: graph_attach_redis_up 1, $W workers connected");
}

$u->teardown;
$t->done_testing;
