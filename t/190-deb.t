# The Debian package.  make deb builds libnginx-mod-http-graph-attach
# from debian/ with dh_nginx, as Debian builds its own nginx modules, in a
# scratch copy (the tree stays clean), quietly, keeping the log of a
# failed build.  apt-get installs it as CI does on a clean machine: the
# module in /usr/lib/nginx/modules/, its load_module line in
# /usr/share/nginx/modules-available/, linked into
# /etc/nginx/modules-enabled/ by the maintainer scripts, a dependency on
# the nginx ABI it was built for, the docs.  nginx loads it the packaged
# way (include modules-enabled/*.conf) and an upload goes through it to
# the stand-in.  An administrator's disabling (the link removed) survives
# a reinstall; remove and purge take the module and its link away and
# leave the system's nginx working.
#
# The machine is put back as it was, also when a check fails: a package
# installed before the test is purged for it (a fresh install is what is
# tested) and installed again, from the build, at the end.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(basename dirname);
use File::Temp qw(tempdir);
use Fcntl qw(:flock);
use Test::More;
use GraphAttach::Test;

my $PKG = 'libnginx-mod-http-graph-attach';
my $SO = '/usr/lib/nginx/modules/ngx_http_graph_attach_module.so';
my $AVAILABLE = '/usr/share/nginx/modules-available/mod-http-graph-attach.conf';
my $ENABLED = '/etc/nginx/modules-enabled/50-mod-http-graph-attach.conf';
my $DOC = "/usr/share/doc/$PKG";
my $ABI_FILE = '/usr/share/nginx/src/debian/libnginx-mod.abisubstvars';
my $ROOT = $GraphAttach::Test::ROOT;
my $NGINX = $GraphAttach::Test::NGINX;

sub in_path {
    my ($cmd) = @_;
    return grep { -x "$_/$cmd" } split /:/, $ENV{PATH} // '';
}

plan skip_all => 'installs a Debian package: needs root' if $> != 0;
for my $cmd (qw(dpkg dpkg-query dpkg-deb apt-get)) {
    plan skip_all => "$cmd is not available: not a Debian system"
        unless in_path($cmd);
}
plan skip_all => 'the package test does not run under valgrind'
    if $ENV{TEST_NGINX_VALGRIND};

# One package test at a time on a machine (two suites at once, from two
# trees, would install and purge the same package under each other), held
# until the test ends; apt's own lock is taken with a timeout by each
# apt-get.
my $lock_file = '/run/lock/graph-attach-t190-deb.lock';
mkdir '/run/lock';
open(my $lock, '>>', $lock_file) or die "$lock_file: $!";
my $lock_end = time + 600;
until (flock($lock, LOCK_EX | LOCK_NB)) {
    if (time > $lock_end) {
        plan tests => 1;
        fail("another t/190-deb.t has held $lock_file for 10 minutes");
        exit;
    }
    sleep 1;
}

my $t = GraphAttach::Test->new(no_module => 1);

# make deb's own make, not the jobserver of a make test around prove
delete @ENV{qw(MAKEFLAGS MFLAGS MAKELEVEL)};
$ENV{DEBIAN_FRONTEND} = 'noninteractive';

# Runs a command through sh; returns (success, stdout and stderr).
sub run {
    my ($cmd) = @_;
    my $out = `($cmd) 2>&1`;
    return ($? == 0, $out);
}

sub apt {
    my ($args) = @_;
    return run("cd '$ROOT' && apt-get -o DPkg::Lock::Timeout=600 -y -q $args");
}

sub pkg_status {
    my ($ok, $out) = run("dpkg-query -W -f '\${Status}|\${Version}' $PKG");
    return $ok ? split(/\|/, $out, 2) : ('', '');
}

sub installed { (pkg_status())[0] eq 'install ok installed' }

# nginx -t of CONF, or of the system's configuration; with Debian's
# prefix (/usr/share/nginx), against which load_module modules/... is
# resolved
sub nginx_t {
    my ($conf) = @_;
    return run($conf ? "$NGINX -c '$conf' -t" : "$NGINX -t");
}

# --- the machine before, and how to put it back --------------------------


my ($status_before, $version_before) = pkg_status();
my %before = (
    installed => $status_before eq 'install ok installed',
    enabled   => -l $ENABLED,
);
my $known_before = $status_before ne '' && $status_before !~ /not-installed/;
my $deb;
my $restored;

sub restore {
    return if $restored++;
    $t->stop_nginx if $t->nginx_pid;

    if ($before{installed}) {
        if (!installed() && $deb && -f $deb) {
            my ($ok, $out) = apt("install --reinstall '$deb'");
            diag("cannot install $PKG again:\n$out") unless $ok;
        }
        if ($before{enabled} && !-l $ENABLED) {
            symlink $AVAILABLE, $ENABLED;
        } elsif (!$before{enabled} && -l $ENABLED) {
            unlink $ENABLED;
        }
    } elsif ((pkg_status())[0] !~ /^(|.*not-installed)$/) {
        my ($ok, $out) = apt("purge $PKG");
        diag("cannot purge $PKG:\n$out") unless $ok;
    }
}

END { restore() if $t }

for my $sig (qw(INT TERM HUP)) {
    my $harness = $SIG{$sig};
    $SIG{$sig} = sub { restore(); $harness->(@_) };
}

sub finish {
    restore();
    $t->done_testing;
    exit;
}

# --- make deb ------------------------------------------------------------

# what dpkg-buildpackage would leave next to a tree it builds in place
my $parent = dirname($ROOT);
sub beside {
    return sort map { glob("'$parent'/$_") }
                ('graph-attach_*', "${PKG}_*", "${PKG}-dbgsym_*");
}
my %beside_before = map { $_ => 1 } beside();
my $git = -e "$ROOT/.git" && in_path('git');
my $tree_before = $git ? `git -C '$ROOT' status --porcelain` : '';

my ($built, $out) = run("nice make -s -C '$ROOT' deb");
ok($built, 'make deb builds the package') or diag($out);
finish() unless $built;

my @noise = grep { !/^(deb|deps): / } split /\n/, $out;
ok(!@noise, 'make deb is quiet: a line per package') or diag($out);
ok(-s "$ROOT/build/deb/build.log", 'the build log is kept');

my ($ok, $version) = run("dpkg-parsechangelog -l '$ROOT/debian/changelog' "
                         . "-S Version");
chomp $version;
ok($ok && $version =~ /^\d[\w.+~-]*$/, "debian/changelog's version: $version");
my $arch = `dpkg --print-architecture`;
chomp $arch;
$deb = "$ROOT/build/deb/${PKG}_${version}_$arch.deb";
ok(-f $deb, "build/deb/${PKG}_${version}_$arch.deb")
    or diag(join "\n", glob("'$ROOT/build/deb'/*"));
finish() unless -f $deb;

ok(!-e "$ROOT/build/deb/scratch", 'the scratch copy is removed');
is($git ? `git -C '$ROOT' status --porcelain` : '', $tree_before,
   'the tree is as clean as before (git status)') if $git;
my @new = grep { !$beside_before{$_} } beside();
is("@new", '', 'nothing written next to the tree');

# --- what the package holds and depends on -------------------------------

sub field { my $v = `dpkg-deb -f '$deb' $_[0]`; chomp $v; $v }

is(field('Package'), $PKG, 'Package');
is(field('Version'), $version, "Version is debian/changelog's");
is(field('Architecture'), $arch, 'Architecture');

my $depends = field('Depends');
my ($abi) = (`cat $ABI_FILE` =~ /^nginx:abi=(\S+)/m);
ok($abi, "nginx-dev names the ABI of this nginx ($abi)");
like($depends, qr/(^|, )\Q$abi\E(,|$)/,
     "Depends on the nginx ABI it was built for ($abi), as dh_nginx says")
    or diag("Depends: $depends");
like(`dpkg-query -W -f '\${Provides}' nginx`, qr/\Q$abi\E/,
     "the installed nginx provides $abi");
for my $lib (qw(libhiredis0.14 libcjson1 libssl3 libc6)) {
    like($depends, qr/(^|, )\Q$lib\E( |,|$)/,
         "Depends on $lib (\${shlibs:Depends})");
}

my @files = map { m{^\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\.(/\S*)} ? $1 : () }
            split /\n/, `dpkg-deb -c '$deb'`;
my @stray = grep { !m{^/(usr/?|usr/lib/?|usr/lib/nginx/(modules/(\S+\.so)?)?
                          |usr/share/?|usr/share/nginx/(modules-available/.*)?
                          |usr/share/doc/?|usr/share/doc/\Q$PKG\E/.*)?$}x }
            @files;
ok(!@stray, 'files only in the module, modules-available and doc '
            . 'directories (the link in /etc is the scripts\')')
    or diag("@stray");

# --- install, as CI does on a clean machine ------------------------------

# once the build is there to put it back with
if ($known_before) {
    diag("$PKG was on this machine before the test ($status_before, "
         . "$version_before, " . ($before{enabled} ? 'enabled' : 'disabled')
         . "): purged for the test, and installed again from the build at "
         . "the end");
    my ($ok, $out) = apt("purge $PKG");
    BAIL_OUT("cannot purge the $PKG installed before the test:\n$out")
        unless $ok;
}

(my $rel = $deb) =~ s{^\Q$ROOT\E/}{./};
my ($installed, $aout) = apt("install '$rel'");
ok($installed, "apt-get install $rel") or diag($aout);
finish() unless $installed;
ok(installed(), 'dpkg says it is installed');

ok(-f $SO, "the module is $SO");
like(`dpkg -S $SO 2>&1`, qr/^\Q$PKG\E: /, "$SO belongs to $PKG");
is(-f $AVAILABLE ? `cat $AVAILABLE` : undef,
   "load_module modules/ngx_http_graph_attach_module.so;\n",
   "$AVAILABLE loads it");
is(readlink($ENABLED), $AVAILABLE,
   "enabled: $ENABLED links to it (postinst)");

ok(-f "$DOC/copyright", "$DOC/copyright");
my $copyright = -f "$DOC/copyright" ? `cat $DOC/copyright` : '';
my $dep5 = 'https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/';
like($copyright, qr{\AFormat: \Q$dep5\E\n},
     'copyright is machine-readable (DEP-5)');
like($copyright,
     qr/^Files: \*\n(?:\S.*\n)*Copyright: .+\n(?:\S.*\n)*License: \S+/m,
     'copyright: Files, Copyright and License of the whole source');
ok(-f "$DOC/changelog.gz", "$DOC/changelog.gz (debian/changelog)");
ok(-f "$DOC/README.md.gz" || -f "$DOC/README.md", "$DOC/README.md");
my @docs = map { basename($_) } glob("'$ROOT/docs'/*.md");
ok(@docs > 5, 'docs/*.md found in the tree');
my @missing = grep { !-f "$DOC/docs/$_.gz" && !-f "$DOC/docs/$_" } @docs;
ok(!@missing, "every docs/*.md is in $DOC/docs/") or diag("@missing");

($ok, $out) = nginx_t();
ok($ok && $out =~ /test is successful/,
   'nginx -t on the system configuration, with the module enabled')
    or diag($out);

# --- nginx loads it the packaged way, and an upload goes through it ------

my $servroot = $t->servroot;
my $conf = <<'EOF';
include /etc/nginx/modules-enabled/*.conf;

events {
    worker_connections 64;
}

http {
    access_log %%SERVROOT%%/logs/access.log;
    client_body_temp_path %%SERVROOT%%/tmp/client_body;
    proxy_temp_path %%SERVROOT%%/tmp/proxy;
    fastcgi_temp_path %%SERVROOT%%/tmp/fastcgi;
    uwsgi_temp_path %%SERVROOT%%/tmp/uwsgi;
    scgi_temp_path %%SERVROOT%%/tmp/scgi;

    graph_attach_redis %%REDIS%%;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /graph/ {
            graph_attach            on;
            graph_attach_token_key  graph:token:t1;
            graph_attach_max_size   1m;
            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%$graph_attach_uri;
        }
    }
}
EOF

sub write_conf {
    my ($name, $text) = @_;
    my $file = "$servroot/conf/$name";
    open(my $fh, '>', $file) or die "$file: $!";
    print {$fh} $t->nginx_conf(conf => $text);
    close $fh;
    return $file;
}

my $packaged = write_conf('packaged.conf', $conf);
(my $bare_text = $conf) =~ s/^include .*\n//m;
my $bare = write_conf('bare.conf', $bare_text);

($ok, $out) = nginx_t($packaged);
ok($ok && $out =~ /test is successful/,
   'nginx -t: include modules-enabled/*.conf, then graph_attach directives')
    or diag($out);
($ok, $out) = nginx_t($bare);
ok(!$ok && $out =~ /unknown directive "graph_attach_redis"/,
   'the same without the include fails: the include is what loads it')
    or diag($out);

# The harness runs nginx with -p servroot/: modules/ there is what it is
# in Debian's prefix, a link to /usr/lib/nginx/modules.
symlink('/usr/share/nginx/modules', "$servroot/modules")
    or die "$servroot/modules: $!";
$t->start_redis;
$t->start_graph;
$t->start_nginx(conf => $conf);

my $token = 'eyJ0eXAi.deb-token-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $msg = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $data = random_bytes(3000, 190);
my $r = $t->post(path => "/graph$msg",
                 parts => [ { name => 'file', filename => 'packaged.pdf',
                              type => 'application/pdf', data => $data } ]);
is($r->{status}, 201, 'an upload through the packaged module: 201')
    or diag($r->{raw_head} . ($r->{body} // ''));
my @rec = $t->graph_records;
is(scalar @rec, 1, 'one request reached the stand-in');
$t->check_upstream($rec[0], label => 'packaged module', token => $token,
                   path => "/v1.0$msg", name => 'packaged.pdf',
                   type => 'application/pdf', data => $data);

my @maps = map { `cat /proc/$_/maps 2>/dev/null` } $t->nginx_workers;
ok(grep({ m{ \Q$SO\E$} } map { split /\n/ } @maps),
   "the workers run $SO");
ok(!grep({ m{/build/ngx_http_graph_attach_module\.so$} }
         map { split /\n/ } @maps),
   'and not the tree\'s build/ one');

my $st = $t->stop_nginx;
ok(defined $st && $st != -1, 'nginx stopped on QUIT');

# --- disabled by the administrator: the link -----------------------------

ok(unlink($ENABLED), "disable: rm $ENABLED");
($ok, $out) = nginx_t($packaged);
ok(!$ok && $out =~ /unknown directive "graph_attach_redis"/,
   'disabled: nginx no longer loads it') or diag($out);

($ok, $aout) = apt("install --reinstall '$rel'");
ok($ok, 'apt-get install --reinstall (as an upgrade would)') or diag($aout);
ok(!-l $ENABLED, 'the administrator\'s choice is kept: still disabled');

ok(symlink($AVAILABLE, $ENABLED), "enable: ln -s $AVAILABLE $ENABLED");
($ok, $out) = nginx_t($packaged);
ok($ok, 'enabled again: nginx -t passes') or diag($out);

# --- remove, purge -------------------------------------------------------

($ok, $aout) = apt("remove $PKG");
ok($ok, "apt-get remove $PKG") or diag($aout);
ok(!-e $SO, 'the module is gone');
ok(!-e $AVAILABLE, 'its modules-available file is gone');
ok(!-e $ENABLED && !-l $ENABLED, 'its modules-enabled link is gone');
is(readlink("$ENABLED.removed"), $AVAILABLE,
   'kept as .removed (which *.conf does not match), for a reinstall to '
   . 'enable it again');
ok(!-e "$DOC/copyright", 'its docs are gone');
($ok, $out) = nginx_t();
ok($ok && $out =~ /test is successful/,
   'nginx -t on the system configuration passes after remove')
    or diag($out);

($ok, $aout) = apt("purge $PKG");
ok($ok, "apt-get purge $PKG") or diag($aout);
ok(!-l "$ENABLED.removed", 'nothing of it is left in modules-enabled');
my ($status) = pkg_status();
ok($status eq '' || $status =~ /not-installed/,
   "dpkg no longer knows $PKG") or diag("status: $status");
($ok, $out) = nginx_t();
ok($ok && $out =~ /test is successful/,
   'nginx -t on the system configuration passes after purge')
    or diag($out);

# --- a failed build: its log, and nothing left installed -----------------

my $broken = tempdir(CLEANUP => 1);
($ok, $out) = run("tar -C '$ROOT' -cf - --exclude=./.git --exclude=./build "
                  . "--exclude='./t/servroot*' . | tar -C '$broken' -xf -");
ok($ok, 'a copy of the tree') or diag($out);
open(my $fh, '>>', "$broken/config") or die "$broken/config: $!";
print {$fh} "echo 'graph-attach: broken on purpose by t/190-deb.t'; exit 1\n";
close $fh;
($ok, $out) = run("'$broken/tools/build-deb.sh'");
ok(!$ok, 'a build that fails: build-deb.sh fails');
like($out, qr/broken on purpose/, 'and shows the end of its log');
like($out, qr{the whole log: \Q$broken\E/build/deb/build\.log},
     'and says where the whole log is');
ok(-s "$broken/build/deb/build.log", 'which is kept');
ok(!glob("'$broken/build/deb'/*.deb"), 'no package is left from it');

finish();
