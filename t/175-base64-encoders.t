# The base64 encoder each worker runs: the fastest the CPU has (AVX-512
# VBMI, AVX2, else scalar), named once per worker at info level, or
# scalar with graph_attach_simd off; either way contentBytes is exactly
# the standard base64 of the file, at lengths around the SIMD steps and
# the writer's buffers.  The encoders' identity byte for byte is proven
# in t/unit/test_base64_simd.c and fuzz/fuzz_base64_simd.c; this is the
# module using them.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use MIME::Base64 qw(encode_base64);
use Test::More;
use GraphAttach::Test;

my $cpu = do {
    open(my $fh, '<', '/proc/cpuinfo') or die "/proc/cpuinfo: $!";
    local $/;
    <$fh>;
};
my ($flags) = $cpu =~ /^flags\s*:\s*(.*)$/m;
my %has = map { $_ => 1 } split ' ', $flags // '';

my $best = ($has{avx512f} && $has{avx512bw} && $has{avx512vbmi})
           ? 'avx512vbmi'
           : $has{avx2} ? 'avx2' : 'scalar';
note("this CPU: $best");

# under valgrind nginx is one process, and valgrind's virtual CPU (3.19)
# hides AVX-512: any SIMD encoder the CPU has will do
my $procs = GraphAttach::Test->valgrind ? 1 : 2;
my %fine = ($best => 1);
if (GraphAttach::Test->valgrind && $best ne 'scalar') {
    %fine = (avx2 => 1, $best => 1);
}

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';

# around AVX2's 24-byte and VBMI's 48- and 96-byte steps, the writer's
# 12 KiB of input a 16 KiB buffer, and a megabyte
my @sizes = (1, 2, 3, 4, 23, 47, 48, 49, 95, 96, 97, 111, 112, 113,
             12287, 12288, 12289, 65537, 1024 * 1024 + 1);

my $t = GraphAttach::Test->new(workers => 2);

sub uploads {
    my ($t, $token, $label) = @_;

    for my $n (@sizes) {
        my $data = random_bytes($n, $n);

        $t->graph_clear;
        my $r = $t->post(
            path  => "/graph$msg",
            parts => [ { name => 'file', filename => "f$n.bin",
                         type => 'application/octet-stream',
                         data => $data } ],
        );
        is($r->{status}, 201, "$label: $n bytes, 201")
            or diag($r->{raw_head} . ($r->{body} // ''));

        my ($rec) = $t->graph_records;
        my $got = $rec && $rec->{json} ? $rec->{json}{contentBytes} : undef;

        # the stand-in's decoder is lenient: compare the text itself
        ok(defined $got && $got eq encode_base64($data, ''),
           "$label: $n bytes, contentBytes is the exact base64")
            or diag('got ' . (defined $got ? length($got) : 'none')
                    . ' characters');
    }
}

# a worker is counted once it is forked, maybe before its init logged
sub encoder_lines {
    my ($t, $mark) = @_;
    my @l;
    $t->wait_for(sub {
        @l = $t->log_since($mark)
                 =~ /\[info\].*graph_attach: base64 encoder ([^\n]*)/g;
        @l >= $procs;
    }, 5);
    return @l;
}

# the multipart delimiter search, logged beside the encoder
sub search_lines {
    my ($t, $mark) = @_;
    my @l;
    $t->wait_for(sub {
        @l = $t->log_since($mark)
             =~ /\[info\].*graph_attach: multipart delimiter search ([^\n]*)/g;
        @l >= $procs;
    }, 5);
    return @l;
}

# --- the default: SIMD where the CPU has it ----------------------------

my $mark = 0;
$t->start;

my $token = 'eyJ0eXAiOiJKV1Qi.b64-token-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my @lines = encoder_lines($t, $mark);
my $avx2 = (`grep -c avx2 /proc/cpuinfo` // 0) > 0;
is_deeply([ search_lines($t, $mark) ], [ ($avx2 ? 'avx2' : 'memchr') x $procs ],
          'the delimiter search is ' . ($avx2 ? 'avx2' : 'memchr'));
is(scalar @lines, $procs,
   "each of the $procs processes names its encoder once");
ok(@lines && !grep({ !$fine{$_} } @lines),
   'the encoder is ' . join(' or ', sort keys %fine))
    or diag("logged: @lines");

uploads($t, $token, $best);

# --- graph_attach_simd off ---------------------------------------------

$t->stop_nginx;
$mark = $t->log_mark;
$t->start_nginx(http => 'graph_attach_simd off;');

@lines = encoder_lines($t, $mark);
is_deeply([ sort @lines ], [ ('scalar (graph_attach_simd off)') x $procs ],
          'graph_attach_simd off: scalar in every worker');
is_deeply([ search_lines($t, $mark) ],
          [ ('memchr (graph_attach_simd off)') x $procs ],
          'graph_attach_simd off: the delimiter search is memchr');

uploads($t, $token, 'scalar');

$t->done_testing;
