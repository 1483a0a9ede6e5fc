# A newcomer's first minutes: make run installs only what the demo needs
# (tools/deps.sh demo), make test adds the test-only clients (tools/deps.sh
# test).  What apt would install for the demo on a bare Debian (a
# simulation from an empty dpkg status, so a superset of what a clean
# machine gets) holds none of the clients; the demo itself (run-demo.sh,
# the Graph stand-in) uses none of them.  No nginx here.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use Test::More;
use GraphAttach::Test;

my $t = GraphAttach::Test->new(no_module => 1);
my $ROOT = $t->root;
my $DEPS = "$ROOT/tools/deps.sh";

sub set_of {
    my ($name) = @_;
    my @p = split /\n/, `'$DEPS' --list $name`;
    ok($? == 0 && @p, "tools/deps.sh --list $name") or diag("@p");
    return @p;
}

my @demo = set_of('demo');
my @deb = set_of('deb');
my @test = set_of('test');
my @clients = set_of('clients');
my %in = (demo => { map { $_ => 1 } @demo }, test => { map { $_ => 1 } @test });

is(join(' ', grep { $in{demo}{$_} } @clients), '',
   'the demo set names none of the test-only clients');
for my $set ([ demo => \@demo ], [ deb => \@deb ], [ clients => \@clients ]) {
    my @out = grep { !$in{test}{$_} } @{ $set->[1] };
    is("@out", '', "make test's set includes the $set->[0] set");
}
for my $p (qw(chromium golang-go nodejs python3-httpx python3-aiohttp
              valgrind clang)) {
    ok(grep({ $_ eq $p } @clients), "$p is a test-only client");
}
for my $p (qw(build-essential nginx-core nginx-dev libhiredis-dev
              libcjson-dev libssl-dev redis-server python3 curl)) {
    ok($in{demo}{$p}, "the demo set has $p");
}

# --- which set each make target installs ---------------------------------

delete @ENV{qw(MAKEFLAGS MFLAGS MAKELEVEL)};
for my $target ([ run => 'demo' ], [ test => 'test' ], [ deb => 'deb' ]) {
    my ($name, $set) = @$target;
    my @calls = grep { m{tools/deps\.sh} }
                split /\n/, `make -n -s -C '$ROOT' $name 2>/dev/null`;
    is(join(' | ', @calls), "tools/deps.sh $set",
       "make $name installs tools/deps.sh $set");
}

# --- what apt would install, from nothing --------------------------------

sub would_install {
    my (@pkgs) = @_;
    my $dir = tempdir(CLEANUP => 1);
    open(my $fh, '>', "$dir/status") or die "$dir/status: $!";
    close $fh;
    my $out = `apt-get -s -q -o Dir::State::status='$dir/status' \\
               -o APT::Install-Recommends=false install @pkgs 2>&1`;
    return undef if $?;
    return map { /^Inst (\S+)/ ? $1 : () } split /\n/, $out;
}

SKIP: {
    skip 'apt-get is not available', 4 unless -x '/usr/bin/apt-get';
    skip 'apt has no package lists (apt-get update)', 4
        unless `apt-cache policy nginx-dev 2>/dev/null`
               =~ /Candidate: (?!\(none\))/;

    my @demo_inst = would_install(@demo);
    ok(@demo_inst > @demo, 'apt simulates the demo\'s install from an '
                           . 'empty system (' . scalar(@demo_inst)
                           . ' packages)');
    my %got = map { $_ => 1 } @demo_inst;
    my @bad = grep { $got{$_} } @clients;
    is("@bad", '', 'none of the test-only clients is among them');

    # the same check finds the clients where they are
    my %test_inst = map { $_ => 1 } would_install(@test);
    my @found = grep { $test_inst{$_} } @clients;
    is("@found", join(' ', @clients),
       'and it finds every client in make test\'s install');
    ok(!grep({ /^(chromium|golang|nodejs$|valgrind$|clang)/ }
             @demo_inst),
       'nor their runtimes (no chromium*, golang*, nodejs, valgrind, '
       . 'clang*)');
}

# --- the demo uses none of them -------------------------------------------

open(my $fh, '<', "$ROOT/tools/run-demo.sh") or die "run-demo.sh: $!";
my @code = grep { !/^\s*#/ } <$fh>;
close $fh;
# a client as a command: first on a line, or after ; & | ( ` $(
my @uses = grep { /(?:^|[;&|(`])\s*(?:exec\s+)?(?:chromium|node|go|valgrind
                                                |clang|openssl|perl)\b/x }
           @code;
ok(@code > 50 && !@uses, 'tools/run-demo.sh runs no test-only client')
    or diag(join '', @uses);

my $py = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';
my $nonstd = `$py - '$ROOT/t/graph_standin.py' <<'EOF'
import ast, sys
tree = ast.parse(open(sys.argv[1]).read())
mods = set()
for node in ast.walk(tree):
    if isinstance(node, ast.Import):
        mods.update(a.name.split('.')[0] for a in node.names)
    elif isinstance(node, ast.ImportFrom) and node.level == 0:
        mods.add(node.module.split('.')[0])
print(len(mods), ' '.join(sorted(m for m in mods
                                 if m not in sys.stdlib_module_names)))
EOF`;
like($nonstd, qr/^[1-9]\d* $/,
     't/graph_standin.py imports only the standard library')
    or diag("not in the standard library: $nonstd");

$t->done_testing;
