package GraphAttach::Test::Conn;

# One client TCP connection to nginx (or the stand-in), for raw requests:
# send bytes, read whole HTTP/1.x responses (Content-Length, chunked or
# until close), keep-alive and pipelining.

use strict;
use warnings;

use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use Time::HiRes qw(time);

sub new {
    my ($class, %opt) = @_;
    my $s = IO::Socket::INET->new(
        PeerAddr => $opt{host} || '127.0.0.1',
        PeerPort => $opt{port},
        Proto    => 'tcp',
        Timeout  => 5,
    ) or return undef;
    binmode $s;
    $s->autoflush(1);
    return bless { sock => $s, buf => '', timeout => $opt{timeout} || 10,
                   eof => 0 }, $class;
}

sub sock { $_[0]{sock} }

# Writes all bytes; returns false if the peer closed.
sub send {
    my ($self, $data) = @_;
    my $s = $self->{sock};
    local $SIG{PIPE} = 'IGNORE';
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite($s, $data, length($data) - $off, $off);
        return 0 unless defined $n && $n > 0;
        $off += $n;
    }
    return 1;
}

# Reads more bytes into the buffer; false on EOF or timeout.
sub _fill {
    my ($self, $deadline) = @_;
    return 0 if $self->{eof};
    my $left = $deadline - time;
    return 0 if $left <= 0;
    my $sel = IO::Select->new($self->{sock});
    return 0 unless $sel->can_read($left);
    my $n = sysread($self->{sock}, my $chunk, 65536);
    if (!$n) {
        $self->{eof} = 1;
        return 0;
    }
    $self->{buf} .= $chunk;
    return 1;
}

# True once the server has closed the connection (reads nothing more).
sub closed {
    my ($self, $wait) = @_;
    my $deadline = time + ($wait // 1);
    while (!$self->{eof} && $self->_fill($deadline)) { }
    return $self->{eof};
}

# Bytes received so far and not consumed.
sub pending { $_[0]{buf} }

# Reads one response.  Skips 1xx responses unless keep_1xx; raw => 1
# leaves the body undecoded (JSON::PP takes seconds to refuse megabytes
# of binary).  Returns a
# hash (status, reason, version, headers, header_list, body, raw, json,
# timeout => 1 when incomplete) or undef when nothing arrived.
sub read_response {
    my ($self, %opt) = @_;
    my $deadline = time + ($opt{timeout} || $self->{timeout});

    while (1) {
        my $end;
        while (($end = index($self->{buf}, "\r\n\r\n")) < 0) {
            if (!$self->_fill($deadline)) {
                return undef unless length $self->{buf};
                my $raw = $self->{buf};
                $self->{buf} = '';
                return { status => 0, raw => $raw, body => '',
                         headers => {}, header_list => [],
                         incomplete => 1, timeout => !$self->{eof} };
            }
        }

        my $head = substr($self->{buf}, 0, $end + 4, '');
        my @lines = split /\r\n/, $head;
        my ($version, $status, $reason) =
            (shift @lines) =~ m{^(HTTP/[\d.]+)\s+(\d+)\s*(.*)$};
        $status //= 0;
        my (%h, @list);
        for (@lines) {
            my ($k, $v) = /^([^:]+):\s*(.*?)\s*$/;
            next unless defined $k;
            push @list, [$k, $v];
            $k = lc $k;
            $h{$k} = exists $h{$k} ? "$h{$k}, $v" : $v;
        }

        if ($status >= 100 && $status < 200 && !$opt{keep_1xx}) {
            next;
        }

        my $r = { version => $version, status => $status + 0,
                  reason => $reason, headers => \%h, header_list => \@list,
                  raw_head => $head };
        my $body = '';

        if ($opt{no_body} || $status == 204 || $status == 304
            || ($status >= 100 && $status < 200))
        {
            # nothing
        } elsif (($h{'transfer-encoding'} // '') =~ /chunked/i) {
            while (1) {
                my $le;
                while (($le = index($self->{buf}, "\r\n")) < 0) {
                    last unless $self->_fill($deadline);
                }
                if ($le < 0) { $r->{incomplete} = 1; last }
                my $line = substr($self->{buf}, 0, $le + 2, '');
                my $size = hex((split /;/, $line)[0]);
                if ($size == 0) {
                    # trailers up to the empty line
                    while (1) {
                        while (($le = index($self->{buf}, "\r\n")) < 0) {
                            last unless $self->_fill($deadline);
                        }
                        last if $le < 0;
                        my $t = substr($self->{buf}, 0, $le + 2, '');
                        last if $t eq "\r\n";
                    }
                    last;
                }
                while (length($self->{buf}) < $size + 2) {
                    last unless $self->_fill($deadline);
                }
                if (length($self->{buf}) < $size + 2) {
                    $r->{incomplete} = 1;
                    last;
                }
                $body .= substr($self->{buf}, 0, $size, '');
                substr($self->{buf}, 0, 2, '');
            }
        } elsif (defined $h{'content-length'}) {
            my $n = $h{'content-length'};
            while (length($self->{buf}) < $n) {
                last unless $self->_fill($deadline);
            }
            $r->{incomplete} = 1 if length($self->{buf}) < $n;
            $body = substr($self->{buf}, 0, $n, '');
        } else {
            while ($self->_fill($deadline)) { }
            $body = $self->{buf};
            $self->{buf} = '';
        }

        $r->{body} = $body;
        $r->{raw} = $head . $body;
        $r->{json} = eval { JSON::PP->new->utf8->decode($body) }
            if length $body && !$opt{raw};
        return $r;
    }
}

sub close {
    my ($self) = @_;
    close $self->{sock} if $self->{sock};
    delete $self->{sock};
}

1;
