package GraphAttach::Hostile;

# Helpers for the policy, hostile-input, secrets and audit tests
# (t/100-policy.t, t/110-hostile.t, t/120-secrets.t, t/130-audit.t), on
# top of GraphAttach::Test.
#
#   refused($t, $r, $status, $code, $label)
#       check_error + nothing_upstream (the stand-in is cleared first by
#       the caller, or use try_refused which does everything).
#
#   try_refused($t, $status, $code, $label, %request)
#       clears the stand-in, sends the request on a keep-alive
#       connection, checks the JSON error and that nothing reached Graph,
#       then sends a good upload on the same connection and checks that
#       it gets 201 (the refused body was consumed cleanly).
#
#   try_accepted($t, $label, %request, want => { name, type, data, ... })
#       clears the stand-in, sends the request, checks 201 and that one
#       request reached Graph with exactly what want says.
#
#   worker_pids($t), worker_hwm_kb($t), raw_request($t, %opt)

use strict;
use warnings;

use Exporter qw(import);
use Test::More ();
use Time::HiRes qw(time sleep);

use GraphAttach::Test;

our @EXPORT = qw(refused try_refused try_accepted good_part good_request_raw
                 worker_pids worker_hwm_kb send_keepalive pdf_bytes png_bytes
                 jpeg_bytes strip_proxy_debug $MSG_PATH);

our $MSG_PATH = '/graph/users/alice@contoso.com/messages/AAMkAGI1AAA=/'
              . 'attachments';

# Tokens used by the files: set by the caller.
our $TOKEN;

sub pdf_bytes  { "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n" . ($_[0] // 'x' x 64) }
sub png_bytes  { "\x89PNG\r\n\x1a\n\0\0\0\rIHDR" . ($_[0] // "\0" x 40) }
sub jpeg_bytes { "\xff\xd8\xff\xe0\0\x10JFIF\0" . ($_[0] // "\1" x 40) }

# A plain, acceptable file part.
sub good_part {
    my (%o) = @_;
    return { name => 'file', filename => 'ok.txt', type => 'text/plain',
             data => 'good upload', %o };
}

# A whole good request (Connection: close) for the given path.
sub good_request_raw {
    my ($t, %opt) = @_;
    return $t->build_request(path => $opt{path} // $MSG_PATH,
                             parts => [ good_part() ]);
}

sub refused {
    my ($t, $r, $status, $code, $label) = @_;
    $t->check_error($r || { status => 0, headers => {} },
                    status => $status, code => $code, label => $label,
                    allow => $status == 405);
    $t->nothing_upstream($label);
}

# Sends REQ (raw bytes, a keep-alive request) on connection C and reads
# one response.
sub send_keepalive {
    my ($t, $c, $raw, %opt) = @_;
    $c->send($raw);
    my $r = $c->read_response(%opt);
    $t->seen($r);
    return $r;
}

sub try_refused {
    my ($t, $status, $code, $label, %req) = @_;

    my $good_path = delete $req{good_path} // $MSG_PATH;
    my $port = $req{port};

    $t->graph_clear;

    my $c = $t->connect(port => $port);
    my $raw = $req{raw} // $t->build_request(path => $MSG_PATH, %req,
                                             keepalive => 1);
    my $r = send_keepalive($t, $c, $raw);

    refused($t, $r, $status, $code, $label);

    # the same connection still serves a good request
    my $g = send_keepalive($t, $c, good_request_raw($t, path => $good_path));
    Test::More::is($g && $g->{status}, 201,
                   "$label: keep-alive connection still usable (201)")
        or Test::More::diag($g ? ($g->{raw_head} // '') . ($g->{body} // '')
                                : 'no response');
    $c->close;
    return $r;
}

sub try_accepted {
    my ($t, $label, %req) = @_;
    my $want = delete $req{want} || {};

    $t->graph_clear;
    my $r = $t->post(path => $MSG_PATH, %req);
    Test::More::is($r->{status}, 201, "$label: 201")
        or Test::More::diag(substr(($r->{raw_head} // '') . ($r->{body} // ''),
                                   0, 600));
    my @rec = $t->graph_records;
    Test::More::is(scalar @rec, 1, "$label: one request reached Graph");
    $t->check_upstream($rec[0], label => $label, token => $TOKEN, %$want);
    return ($r, $rec[0]);
}

# The nginx worker pids (or the single process under valgrind).
sub worker_pids {
    my ($t) = @_;
    return $t->valgrind ? ($t->nginx_pid) : sort { $a <=> $b } $t->nginx_workers;
}

# Peak resident memory (VmHWM, kB) of each worker: { pid => kB }.
sub worker_hwm_kb {
    my ($t) = @_;
    my %m;
    for my $p (worker_pids($t)) {
        open(my $fh, '<', "/proc/$p/status") or next;
        while (<$fh>) {
            $m{$p} = $1 if /^VmHWM:\s+(\d+)\s+kB/;
        }
        close $fh;
    }
    return \%m;
}

# As GraphAttach::Test's teardown does for error.log at debug level:
# nginx's proxy module prints the upstream request head (Authorization
# included) at debug level, which the docs say; those lines are not the
# module's.
sub strip_proxy_debug {
    my ($text) = @_;
    $text =~ s/http proxy header:\n".*?\n"\n//sg;
    $text =~ s/^.*http proxy header: "Authorization:.*\n//mg;
    return $text;
}

1;
