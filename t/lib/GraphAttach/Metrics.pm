package GraphAttach::Metrics;

# Reading graph_attach_metrics as Prometheus does, for t/180 and t/181:
# the text goes through prometheus_client's own parser (Debian's
# python3-prometheus-client), and samples are kept by a key of the name
# and the sorted labels.
#
#   scrape_once($t, PATH)   one GET of PATH (/metrics), parsed; dies on
#                           anything but 200 or a text the parser refuses
#   settled($t, PATH)       scrapes until the counters are still
#   parse_metrics($t, TEXT) -> ({ text, s, families, list }) or (undef, err)
#   value($m, NAME, LABELS) a sample's value;  skey(NAME, {LABELS})
#   changes($a, $b)         counters and _count that changed from a to b

use strict;
use warnings;
use Exporter 'import';
use JSON::PP ();
use Time::HiRes qw(sleep);

our @EXPORT = qw(scrape_once settled parse_metrics value skey changes);

my $PARSER = <<'PY';
import json, sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1], 'rb').read().decode('utf-8')
out = []
for f in text_string_to_metric_families(text):
    out.append({'name': f.name, 'type': f.type, 'help': f.documentation,
                'samples': [[s.name, s.labels, s.value] for s in f.samples]})
print(json.dumps(out))
PY

my $n_scrape = 0;

sub skey {
    my ($name, $labels) = @_;
    return $name unless $labels && %$labels;
    return $name . '{' . join(',', map { qq{$_="$labels->{$_}"} }
                                   sort keys %$labels) . '}';
}

sub parse_metrics {
    my ($t, $text) = @_;
    my $file = $t->servroot . '/tmp/metrics.' . ++$n_scrape;
    open(my $fh, '>:raw', $file) or die "$file: $!";
    print {$fh} $text;
    close $fh;
    my ($st, $out, $err) = $t->run(cmd => [ $GraphAttach::Test::PYTHON,
                                            '-c', $PARSER, $file ]);
    return (undef, $err) if $st;
    my $fams = JSON::PP->new->decode($out);
    my (%f, %s);
    for my $fam (@$fams) {
        $f{ $fam->{name} } = $fam;
        for my $smp (@{ $fam->{samples} }) {
            $s{ skey($smp->[0], $smp->[1]) } = $smp->[2] + 0;
        }
    }
    return ({ text => $text, families => \%f, s => \%s, list => $fams });
}

sub scrape_once {
    my ($t, $path) = @_;
    my $r = $t->request(raw => 'GET ' . ($path // '/metrics')
                             . " HTTP/1.1\r\nHost: localhost\r\n"
                             . "Connection: close\r\n\r\n");
    die "metrics: no answer\n" unless $r;
    die "metrics: $r->{status}\n" unless $r->{status} == 200;
    my ($m, $err) = parse_metrics($t, $r->{body});
    die "the Prometheus parser refused the metrics: $err\n" unless $m;
    $m->{head} = $r;
    return $m;
}

# A scrape once the counters are still: a request is counted by its log
# phase, which may run just after its client read the answer (nginx's
# lingering close), while another worker already answers the scrape
sub settled {
    my ($t, $path) = @_;
    my $m = scrape_once($t, $path);
    for (1 .. 50) {
        sleep 0.05;
        my $n = scrape_once($t, $path);
        return $n unless %{ changes($m, $n) };
        $m = $n;
    }
    return $m;
}

sub value {
    my ($m, $name, %labels) = @_;
    return $m->{s}{ skey($name, \%labels) };
}

# counters and the histogram's _count that changed from $a to $b (gauges
# such as redis_up and the reset time are not counts)
sub changes {
    my ($a, $b) = @_;
    my %d;
    for my $fam (values %{ $b->{families} }) {
        next unless $fam->{type} eq 'counter' || $fam->{type} eq 'histogram';
        for my $smp (@{ $fam->{samples} }) {
            my $k = skey($smp->[0], $smp->[1]);
            next if $k =~ /_(bucket|sum)\b/;
            my $v = $b->{s}{$k} - ($a->{s}{$k} // 0);
            $d{$k} = $v if $v;
        }
    }
    return \%d;
}

1;
