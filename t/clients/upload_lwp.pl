#!/usr/bin/perl
# Uploads one file to graph-attach with LWP and HTTP::Request::Common.
# Usage: upload_lwp.pl URL FILE FILENAME CONTENT_TYPE [field=value ...]
# FILENAME is taken as UTF-8 bytes.  Prints {"status":N,"body":"..."}.

use strict;
use warnings;
use HTTP::Request::Common qw(POST);
use Encode qw(decode);
use JSON::PP;
use LWP::UserAgent;

my ($url, $path, $filename, $ctype, @fields) = @ARGV;

my @form = map { split /=/, $_, 2 } @fields;
push @form, file => [ $path, $filename, 'Content-Type' => $ctype ];

my $ua = LWP::UserAgent->new(timeout => 60);
my $res = $ua->request(POST $url, Content_Type => 'form-data',
                                  Content => \@form);

print JSON::PP->new->utf8->canonical->encode({
    status => $res->code + 0,
    body   => decode('UTF-8', $res->content),
}), "\n";
