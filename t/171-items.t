#!/usr/bin/perl
# graph-attach: item attachments (a message, event or contact attached to
# a message or event), alone, several, and beside files.
#
# The "item" part is judged and re-serialised by the module; what Graph
# gets is {"@odata.type":"#microsoft.graph.itemAttachment","name":...,
# "item":{...}}.  Every check is on what the Graph stand-in received.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP ();
use Test::More;
use GraphAttach::Test;

my $t = GraphAttach::Test->new;

my $main_loc = "graph_attach on;\n"
             . "            graph_attach_token_key graph:token:t1;\n"
             . "            add_header X-Kind \"\$graph_attach_kind\" always;\n"
             . "            add_header X-Files \"\$graph_attach_files\" always;\n"
             . "            proxy_pass http://127.0.0.1:%%GRAPH_PORT%%"
             . "\$graph_attach_uri;\n";

my $server = graph_location('/small/', 'graph_attach_max_item_size 1k;');

$t->start(location => $main_loc, server => $server);

my $token = 'eyJ0eXAi.items-' . int(rand(1e9));
$t->set_token('graph:token:t1', $token);
$t->graph_tokens($token);

my $JSON = JSON::PP->new->canonical->utf8;
my $MSG = '/users/alice@contoso.com/messages/AAMkAGI1AAA=/attachments';
my $EVT = '/users/bob@contoso.com/events/AAMkAGI1EvT=/attachments';

sub item_part {
    my ($json, $type) = @_;
    my $head = 'Content-Disposition: form-data; name="item"';
    $head .= "\r\nContent-Type: $type" if defined $type;
    return { head => $head, data => $json };
}

sub field { my ($n, $v) = @_; return { name => $n, data => $v } }

sub posts { grep { $_->{method} eq 'POST' } $t->graph_records }

sub post_form {
    my ($path, @parts) = @_;
    $t->graph_clear;
    return $t->post(path => $path, parts => \@parts);
}

my %message = ('@odata.type' => '#microsoft.graph.message',
               subject => 'Quarterly review', body => {
                   contentType => 'text', content => "See you \x{e9}t\x{e9}" },
               toRecipients => [ { emailAddress => {
                   address => 'bob@contoso.com' } } ]);
my %event = ('@odata.type' => 'microsoft.graph.event', subject => 'Standup',
             start => { dateTime => '2026-12-04T09:00:00', timeZone => 'UTC' },
             end => { dateTime => '2026-12-04T09:15:00', timeZone => 'UTC' });
my %contact = ('@odata.type' => '#microsoft.graph.contact',
               displayName => 'Carol Q/A', givenName => 'Carol');

sub check_item {
    my ($label, $r, $want_item, $want_name, %o) = @_;
    is($r->{status}, 201, "$label: 201") or diag(substr $r->{body} // '', 0, 300);
    my @p = posts();
    is(scalar @p, 1, "$label: one POST");
    my $j = ($p[0] || {})->{json} || {};
    is($j->{'@odata.type'}, '#microsoft.graph.itemAttachment',
       "$label: an itemAttachment");
    is($j->{name}, $want_name, "$label: name");
    is_deeply($j->{item}, $want_item, "$label: the item as sent, re-serialised");
    is(($p[0] || {})->{status}, 201, "$label: Graph took it");
    is($p[0]{headers}{authorization}, "Bearer $token", "$label: the token");
    is(ref $r->{json} eq 'HASH' && $r->{json}{'@odata.type'},
       '#microsoft.graph.itemAttachment', "$label: the answer is Graph's object");
    is($r->{headers}{'x-kind'}, 'item', "$label: \$graph_attach_kind item");
    like($r->{headers}{location} // '', qr{\Q$o{path}\E/[^/]+$},
         "$label: Location under Graph's path") if $o{path};
}

{
    my $r = post_form("/graph$MSG",
                      item_part(JSON::PP->new->utf8->encode(\%message),
                                'application/json'));
    check_item('message', $r, \%message, 'Quarterly review', path => $MSG);
}
{
    my $r = post_form("/graph$EVT", item_part($JSON->encode(\%event)));
    check_item('event, no Content-Type, @odata.type without #', $r,
               \%event, 'Standup');
}
{
    my $r = post_form("/graph$MSG",
                      item_part($JSON->encode(\%contact),
                                'application/json; charset=utf-8'),
                      field('name', 'Carol.vcf'));
    check_item('contact, named by the name field', $r, \%contact, 'Carol.vcf');
}
{
    my $r = post_form("/graph$MSG", item_part($JSON->encode(\%contact)));
    check_item('contact, named by displayName ("/" made "_")', $r, \%contact,
               'Carol Q_A');
}
{
    my %m = %message;
    delete $m{subject};
    my $r = post_form("/graph$MSG", item_part($JSON->encode(\%m)));
    check_item('message without subject', $r, \%m, 'attachment');
}

# what reaches Graph is re-serialised: whitespace and escapes are the
# module's, the values the client's
{
    my $raw = qq({ "\@odata.type" : "#microsoft.graph.message" ,\n)
            . qq(  "subject" : "caf\\u00e9 \\/ tea" }\n);
    my $r = post_form("/graph$MSG", item_part($raw, 'application/json'));
    is($r->{status}, 201, 're-serialised: 201');
    my ($p) = posts();
    unlike($p->{body} // '', qr/\n|" :/, 're-serialised: compact');
    is($p->{json}{item}{subject}, "caf\x{e9} / tea", 're-serialised: values kept');
}


# --- refused before anything is sent --------------------------------------

my @bad = (
    [ 'not JSON', '{"@odata.type":"#microsoft.graph.message",' ],
    [ 'a comment', '{"@odata.type":"#microsoft.graph.message"/* x */}' ],
    [ 'NaN', '{"@odata.type":"#microsoft.graph.message","x":NaN}' ],
    [ 'a duplicate key', '{"@odata.type":"#microsoft.graph.message",'
                         . '"subject":"a","subject":"b"}' ],
    [ 'Subject beside subject', '{"@odata.type":"#microsoft.graph.message",'
                                . '"subject":"a","Subject":"b"}' ],
    [ 'not an object', '["@odata.type"]' ],
    [ 'no @odata.type', '{"subject":"x"}' ],
    [ 'a fileAttachment', '{"@odata.type":"#microsoft.graph.fileAttachment",'
                          . '"contentBytes":"TVo="}' ],
    [ 'an itemAttachment in an itemAttachment',
      '{"@odata.type":"#microsoft.graph.itemAttachment"}' ],
    [ 'too deep', '{"@odata.type":"#microsoft.graph.message","x":'
                  . ('[' x 40) . (']' x 40) . '}' ],
    [ 'too many members', '{"@odata.type":"#microsoft.graph.message","x":['
                          . join(',', (1) x 10001) . ']}' ],
    [ 'trailing bytes', '{"@odata.type":"#microsoft.graph.message"} {}' ],
    [ 'not UTF-8', qq({"\@odata.type":"#microsoft.graph.message","s":"\xff"}) ],
    [ 'a raw newline in a string',
      qq({"\@odata.type":"#microsoft.graph.message","s":"a\nb"}) ],
    [ 'a lone surrogate',
      '{"@odata.type":"#microsoft.graph.message","s":"\ud800"}' ],
    [ 'empty', '' ],
);

for my $b (@bad) {
    my ($label, $json) = @$b;
    my $r = post_form("/graph$MSG", item_part($json, 'application/json'));
    $t->check_error($r, status => 400, code => 'InvalidItem',
                    label => "item: $label");
    $t->nothing_upstream("item: $label");
}

{
    my $big = '{"@odata.type":"#microsoft.graph.message","subject":"'
            . ('x' x 1100) . '"}';
    my $r = post_form("/small$MSG",
                      item_part($big, 'application/json'));
    $t->check_error($r, status => 400, code => 'InvalidItem',
                    label => 'item over graph_attach_max_item_size 1k');
    $t->nothing_upstream('item over graph_attach_max_item_size');
}
{
    my $r = post_form("/graph$MSG",
                      item_part($JSON->encode(\%message), 'text/plain'));
    $t->check_error($r, status => 400, code => 'InvalidItem',
                    label => 'item part of type text/plain');
    $t->nothing_upstream('item part of type text/plain');
}
{
    my $r = post_form("/graph$MSG", item_part($JSON->encode(\%message)),
                      field('contentId', 'x'));
    $t->check_error($r, status => 400, code => 'InvalidField',
                    label => 'a contentId for an item');
    $t->nothing_upstream('a contentId for an item');
}


# --- several: items and files in form order ---------------------------------

{
    my $r = post_form("/graph$MSG",
                      { name => 'file', filename => 'agenda.pdf',
                        type => 'application/pdf', data => '%PDF-1.4 agenda' },
                      item_part($JSON->encode(\%event)),
                      item_part($JSON->encode(\%contact)));
    is($r->{status}, 201, 'file, event, contact: 201')
        or diag(substr $r->{body} // '', 0, 300);
    my $v = ref $r->{json} eq 'HASH' ? $r->{json}{value} : [];
    is_deeply([ map { $_->{'@odata.type'} } @$v ],
              [ '#microsoft.graph.fileAttachment',
                ('#microsoft.graph.itemAttachment') x 2 ],
              'file, event, contact: in form order');
    is_deeply([ map { $_->{json}{name} } posts() ],
              [ 'agenda.pdf', 'Standup', 'Carol Q_A' ],
              'file, event, contact: Graph got each');
    is($r->{headers}{'x-kind'}, 'mixed', '$graph_attach_kind mixed');
    is($r->{headers}{'x-files'}, '3', '$graph_attach_files 3');
    is_deeply([ map { $_->{name} } $t->graph_message_attachments("/v1.0$MSG") ],
              [ 'agenda.pdf', 'Standup', 'Carol Q_A' ],
              'file, event, contact: the message holds each once');
}

# a bad second item refuses the form: nothing sent, innerError names it
{
    my $r = post_form("/graph$MSG", item_part($JSON->encode(\%event)),
                      item_part('{"subject":"no type"}'));
    $t->check_error($r, status => 400, code => 'InvalidItem',
                    label => 'the second item bad');
    is($r->{json}{error}{innerError}{index}, 2, 'the second item bad: index 2');
    $t->nothing_upstream('the second item bad');
}

$t->done_testing();
