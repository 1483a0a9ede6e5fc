# The Debian packages.  make deb builds, from debian/, in a scratch copy
# (the tree stays clean), quietly, keeping the log of a failed build:
#
# libnginx-mod-http-graph-attach, with dh_nginx, as Debian builds its own
# nginx modules.  apt-get installs it as CI does on a clean machine: the
# module in /usr/lib/nginx/modules/, its load_module line in
# /usr/share/nginx/modules-available/, linked into
# /etc/nginx/modules-enabled/ by the maintainer scripts, a dependency on
# the nginx ABI it was built for, the docs.  nginx loads it the packaged
# way (include modules-enabled/*.conf) and an upload goes through it to
# the stand-in.  An administrator's disabling (the link removed) survives
# a reinstall; remove and purge take the module and its link away and
# leave the system's nginx working.
#
# graph-attach-broker: the daemon in /usr/sbin, its systemd unit (not
# enabled), its sysusers.d entry and the user the postinst makes, and
# /etc/graph-attach/broker.conf as a conffile, kept on remove with the
# administrator's edits and gone on purge.  Its user reads a secret of
# its group (graph-attach-broker -t).
#
# The machine is put back as it was, also when a check fails: a package
# installed before the test is purged for it (a fresh install is what is
# tested) and installed again, from the build, at the end; the broker's
# user is removed again, and files of the broker's that were there without
# the package (make install-broker) are put back.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Basename qw(basename dirname);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use Fcntl qw(:flock);
use Test::More;
use GraphAttach::Test;

my $PKG = 'libnginx-mod-http-graph-attach';
my $BPKG = 'graph-attach-broker';
my $BROKER = '/usr/sbin/graph-attach-broker';
my $BCONF = '/etc/graph-attach/broker.conf';
my $UNIT = '/lib/systemd/system/graph-attach-broker.service';
my $SYSUSERS = '/usr/lib/sysusers.d/graph-attach-broker.conf';
my $BUSER = 'graph-attach-broker';
my $BDOC = "/usr/share/doc/$BPKG";
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
    my ($pkg) = @_;
    my ($ok, $out) = run("dpkg-query -W -f '\${Status}|\${Version}' $pkg");
    return $ok ? split(/\|/, $out, 2) : ('', '');
}

sub installed { (pkg_status($_[0]))[0] eq 'install ok installed' }

# installed, or its configuration files left
sub known { (pkg_status($_[0]))[0] !~ /^(|.*not-installed)$/ }

sub slurp {
    my ($file) = @_;
    open(my $fh, '<:raw', $file) or return undef;
    local $/;
    return scalar <$fh>;
}

# nginx -t of CONF, or of the system's configuration; with Debian's
# prefix (/usr/share/nginx), against which load_module modules/... is
# resolved
sub nginx_t {
    my ($conf) = @_;
    return run($conf ? "$NGINX -c '$conf' -t" : "$NGINX -t");
}

# --- the machine before, and how to put it back --------------------------


my %before = (enabled => -l $ENABLED,
               user => defined getpwnam($BUSER),
               group => defined getgrnam($BUSER));
for my $pkg ($PKG, $BPKG) {
    my ($status, $version) = pkg_status($pkg);
    $before{$pkg} = { status => $status, version => $version,
                      installed => $status eq 'install ok installed',
                      known => known($pkg) };
}

# the broker's files, put there without its package (make install-broker)
my %unowned;
for my $file ($BROKER, $BCONF, $UNIT, $SYSUSERS) {
    next if !-e $file || `dpkg -S '$file' 2>/dev/null` ne '';
    my @st = stat $file;
    $unowned{$file} = { data => slurp($file), mode => $st[2] & 07777,
                        uid => $st[4], gid => $st[5] };
}

my %debs;
my $restored;

sub restore {
    return if $restored++;
    $t->stop_nginx if $t->nginx_pid;

    for my $pkg ($PKG, $BPKG) {
        if ($before{$pkg}{installed}) {
            next if installed($pkg) || !$debs{$pkg} || !-f $debs{$pkg};
            my ($ok, $out) = apt("install --reinstall '$debs{$pkg}'");
            diag("cannot install $pkg again:\n$out") unless $ok;
        } elsif (known($pkg)) {
            my ($ok, $out) = apt("purge $pkg");
            diag("cannot purge $pkg:\n$out") unless $ok;
        }
    }

    if ($before{$PKG}{installed}) {
        if ($before{enabled} && !-l $ENABLED) {
            symlink $AVAILABLE, $ENABLED;
        } elsif (!$before{enabled} && -l $ENABLED) {
            unlink $ENABLED;
        }
    }

    # Debian leaves a package's system user after a purge
    run("deluser --system --quiet $BUSER")
        if !$before{user} && defined getpwnam($BUSER);
    run("delgroup --system --quiet $BUSER")
        if !$before{group} && defined getgrnam($BUSER);

    for my $file (sort keys %unowned) {
        my $u = $unowned{$file};
        next if (slurp($file) // "\0none") eq $u->{data};
        make_path(dirname($file));
        open(my $fh, '>:raw', $file) or next;
        print {$fh} $u->{data};
        close $fh;
        chmod $u->{mode}, $file;
        chown $u->{uid}, $u->{gid}, $file;
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
                ('graph-attach_*', map { ("${_}_*", "${_}-dbgsym_*") }
                                       $PKG, $BPKG);
}
my %beside_before = map { $_ => 1 } beside();
my $git = -e "$ROOT/.git" && in_path('git');
my $tree_before = $git ? `git -C '$ROOT' status --porcelain` : '';

my ($built, $out) = run("nice make -s -C '$ROOT' deb");
ok($built, 'make deb builds the packages') or diag($out);
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
for my $pkg ($PKG, $BPKG) {
    $debs{$pkg} = "$ROOT/build/deb/${pkg}_${version}_$arch.deb";
    ok(-f $debs{$pkg}, "build/deb/${pkg}_${version}_$arch.deb")
        or diag(join "\n", glob("'$ROOT/build/deb'/*"));
}
finish() if grep { !-f } values %debs;
my ($deb, $bdeb) = @debs{$PKG, $BPKG};

ok(!-e "$ROOT/build/deb/scratch", 'the scratch copy is removed');
is($git ? `git -C '$ROOT' status --porcelain` : '', $tree_before,
   'the tree is as clean as before (git status)') if $git;
my @new = grep { !$beside_before{$_} } beside();
is("@new", '', 'nothing written next to the tree');

# --- what the package holds and depends on -------------------------------

sub field { my $v = `dpkg-deb -f '$_[0]' $_[1]`; chomp $v; $v }

# the files (not the directories) of a .deb
sub deb_files {
    my ($file) = @_;
    return sort map { m{^(?:\S+\s+){5}\.(/\S*[^/])$} ? $1 : () }
                split /\n/, `dpkg-deb -c '$file'`;
}

for my $pkg ($PKG, $BPKG) {
    is(field($debs{$pkg}, 'Package'), $pkg, "$pkg: Package");
    is(field($debs{$pkg}, 'Version'), $version,
       "$pkg: Version is debian/changelog's");
    is(field($debs{$pkg}, 'Architecture'), $arch, "$pkg: Architecture");
}

my $depends = field($deb, 'Depends');
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

my @stray = grep { !m{^(\Q$SO\E|\Q$AVAILABLE\E|\Q$DOC\E/.*)$} }
            deb_files($deb);
ok(!@stray, 'files only in the module, modules-available and doc '
            . 'directories (the link in /etc is the scripts\')')
    or diag("@stray");

# --- install, as CI does on a clean machine ------------------------------

# once the build is there to put them back with
for my $pkg (grep { $before{$_}{known} } $PKG, $BPKG) {
    diag("$pkg was on this machine before the test ($before{$pkg}{status}, "
         . "$before{$pkg}{version}"
         . ($pkg eq $PKG ? ', ' . ($before{enabled} ? 'enabled' : 'disabled')
                         : '')
         . "): purged for the test, and installed again from the build at "
         . "the end");
    my ($ok, $out) = apt("purge $pkg");
    BAIL_OUT("cannot purge the $pkg installed before the test:\n$out")
        unless $ok;
}
# out of the way of a fresh install (dpkg would ask about broker.conf)
if (%unowned) {
    diag("files of $BPKG were here without the package: moved away for "
         . "the test, and put back at the end: "
         . join(' ', sort keys %unowned));
    unlink keys %unowned;
}

(my $rel = $deb) =~ s{^\Q$ROOT\E/}{./};
my ($installed, $aout) = apt("install '$rel'");
ok($installed, "apt-get install $rel") or diag($aout);
finish() unless $installed;
ok(installed($PKG), 'dpkg says it is installed');

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
ok(!known($PKG), "dpkg no longer knows $PKG")
    or diag('status: ' . (pkg_status($PKG))[0]);
($ok, $out) = nginx_t();
ok($ok && $out =~ /test is successful/,
   'nginx -t on the system configuration passes after purge')
    or diag($out);

# --- graph-attach-broker --------------------------------------------------

my $bdepends = field($bdeb, 'Depends');
for my $dep (qw(libcurl4 libhiredis0.14 libcjson1 libssl3 libc6 adduser)) {
    like($bdepends, qr/(^|, )\Q$dep\E( |,|$)/, "$BPKG: Depends on $dep");
}
unlike($bdepends, qr/nginx/,
       "$BPKG: not on nginx (a broker may run on another machine)");
is(`dpkg-deb --info '$bdeb' conffiles 2>&1`, "$BCONF\n",
   "$BPKG: one conffile, $BCONF");
is(join(' ', deb_files($bdeb)),
   join(' ', sort $BCONF, $UNIT, $SYSUSERS, $BROKER,
                  map { "$BDOC/$_" } qw(changelog.gz copyright
                                         operations.md.gz tokens.md.gz)),
   "$BPKG: the daemon, its unit, sysusers.d entry, configuration, docs");

(my $brel = $bdeb) =~ s{^\Q$ROOT\E/}{./};
($ok, $aout) = apt("install '$brel'");
ok($ok, "apt-get install $brel") or diag($aout);
ok(installed($BPKG), 'dpkg says it is installed');

ok(-x $BROKER, "the daemon is $BROKER");
(my $upstream = $version) =~ s/-[^-]*$//;
($ok, $out) = run("$BROKER -V");
like($out, qr/^graph-attach-broker \Q$upstream\E /,
     "$BROKER -V says the package's version ($upstream)") or diag($out);
for my $f ([ $UNIT, 'broker/graph-attach-broker.service' ],
           [ $SYSUSERS, 'broker/graph-attach-broker.sysusers' ],
           [ $BCONF, 'broker/graph-attach-broker.conf.example' ]) {
    my ($installed_as, $source) = @$f;
    ok(defined slurp($installed_as)
       && slurp($installed_as) eq (slurp("$ROOT/$source") // ''),
       "$installed_as is $source");
}
my @unit_docs = (slurp($UNIT) // '') =~ /^Documentation=file:(\S+)$/mg;
ok(@unit_docs && !grep({ !-f } @unit_docs),
   'the documentation the unit names is installed') or diag("@unit_docs");
ok(!-e "/etc/systemd/system/multi-user.target.wants/$BPKG.service",
   'the unit is not enabled (its tenants come first)');
ok(-f "$BDOC/copyright" && -f "$BDOC/changelog.gz",
   "$BDOC: copyright, changelog");

my @pw = getpwnam($BUSER);
ok(@pw, "the postinst made the user $BUSER");
SKIP: {
    skip "no user $BUSER", 5 unless @pw;
    my @gr = getgrnam($BUSER);
    ok(@gr && $pw[3] == $gr[2], "its group is $BUSER");
    ok($pw[2] < 1000, "a system user (uid $pw[2])");
    is($pw[7], '/nonexistent', 'home /nonexistent, as in the sysusers.d entry');
    is($pw[8], '/usr/sbin/nologin', 'no shell');

    # operations.md's setup: a secret only root and the group read, in a
    # directory of its own outside the tree (whose parents the user may
    # not enter: a checkout in /root)
    my $bdir = tempdir(CLEANUP => 1);
    chown 0, $pw[3], $bdir;
    chmod 0750, $bdir;
    my %file = (
        "$bdir/contoso.secret" => "t190-secret-" . int(rand(1e9)) . "\n",
        "$bdir/broker.conf" => "[broker]\nredis = 127.0.0.1:6379\n\n"
            . "[tenant contoso]\ntenant_id = contoso.onmicrosoft.com\n"
            . "client_id = 6731de76-14a6-49ae-97bc-6eba6914391e\n"
            . "client_secret_file = $bdir/contoso.secret\n"
            . "key = graph:token:contoso\n",
    );
    for my $f (sort keys %file) {
        open(my $fh, '>', $f) or die "$f: $!";
        print {$fh} $file{$f};
        close $fh;
        chown 0, $pw[3], $f;
        chmod 0640, $f;
    }
    $t->secret($file{"$bdir/contoso.secret"} =~ s/\n//r);
    my $check = "runuser -u $BUSER -- $BROKER -t -c '$bdir/broker.conf'";
    ($ok, $out) = run($check);
    ok($ok && $out =~ /test is successful: 1 tenant/,
       "as $BUSER, graph-attach-broker -t reads the configuration and a "
       . "secret of its group") or diag($out);
    chmod 0600, "$bdir/contoso.secret";
    ($ok, $out) = run($check);
    ok(!$ok && $out =~ /contoso\.secret/,
       'a secret its group cannot read: -t fails, and names the file')
        or diag($out);
}

open(my $bc, '>>', $BCONF) or die "$BCONF: $!";
print {$bc} "# edited by t/190-deb.t\n";
close $bc;

($ok, $aout) = apt("remove $BPKG");
ok($ok, "apt-get remove $BPKG") or diag($aout);
ok(!-e $BROKER && !-e $UNIT && !-e $SYSUSERS,
   'the daemon, its unit and sysusers.d entry are gone');
like(slurp($BCONF) // '', qr/^# edited by t\/190-deb\.t$/m,
     'the edited broker.conf is kept (a conffile)');
is((pkg_status($BPKG))[0], 'deinstall ok config-files',
   'dpkg keeps its configuration files');

($ok, $aout) = apt("purge $BPKG");
ok($ok, "apt-get purge $BPKG") or diag($aout);
ok(!-e $BCONF, 'purge removes broker.conf');
ok(!known($BPKG), "dpkg no longer knows $BPKG");

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
