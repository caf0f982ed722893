//! Just enough HTTP/1.1 for a keep-alive benchmark: the request the load generator
//! sends, the fixed response every server peer answers with, and how each side finds
//! where a message ends. The Rust servers share [`next_request`]; `peer.py` does the
//! same in Python.

/// The request the load generator sends, again and again on each connection (the
/// headers `wrk` sends, give or take).
pub const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: net-bench\r\nAccept: */*\r\n\r\n";

/// The response to a GET: a small fixed body, the connection kept open.
pub const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";

/// The response to anything else, after which the server closes the connection.
pub const REJECT: &[u8] =
    b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

const END_OF_HEADERS: &[u8] = b"\r\n\r\n";

/// What a server does with the head of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// How many bytes of the buffer the head took (request line, headers, blank line).
    pub len: usize,
    /// Whether it is a GET, answered with [`RESPONSE`]; anything else gets [`REJECT`].
    pub get: bool,
    /// Whether the connection closes after the answer (`Connection: close`, or not a GET).
    pub close: bool,
}

/// The first complete request head in `buf`, if the blank line that ends it has
/// arrived. `searched` is how many bytes an earlier call already looked through without
/// finding it, so that a head arriving in pieces is scanned once.
pub fn next_request(buf: &[u8], searched: usize) -> Option<Request> {
    let from = searched.saturating_sub(END_OF_HEADERS.len() - 1);
    let end = find(&buf[from.min(buf.len())..], END_OF_HEADERS)? + from + END_OF_HEADERS.len();
    let head = &buf[..end];
    let get = head.starts_with(b"GET ");
    let close = !get
        || head
            .split(|&b| b == b'\n')
            .skip(1)
            .any(|line| header_is(line, b"connection", b"close"));
    Some(Request {
        len: end,
        get,
        close,
    })
}

/// The length of the first complete response in `buf` (head and `Content-Length`
/// body), if all of it has arrived. Responses without `Content-Length` count as
/// having no body.
pub fn response_len(buf: &[u8]) -> Option<usize> {
    let head = find(buf, END_OF_HEADERS)? + END_OF_HEADERS.len();
    let body = buf[..head]
        .split(|&b| b == b'\n')
        .find_map(|line| header_value(line, b"content-length"))
        .and_then(|value| std::str::from_utf8(value).ok()?.trim().parse().ok())
        .unwrap_or(0);
    (buf.len() >= head + body).then_some(head + body)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The value of `line` (one header line, `\r` included) if its name is `name`
/// (lowercase), compared without case.
fn header_value<'a>(line: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let colon = line.iter().position(|&b| b == b':')?;
    line[..colon]
        .eq_ignore_ascii_case(name)
        .then(|| line[colon + 1..].trim_ascii())
}

fn header_is(line: &[u8], name: &[u8], value: &[u8]) -> bool {
    header_value(line, name).is_some_and(|v| v.eq_ignore_ascii_case(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_get_is_found_once_its_blank_line_arrives() {
        assert_eq!(next_request(&REQUEST[..REQUEST.len() - 1], 0), None);
        let mut two = REQUEST.to_vec();
        two.extend_from_slice(REQUEST);
        let first = next_request(&two, 0).unwrap();
        assert_eq!(
            first,
            Request {
                len: REQUEST.len(),
                get: true,
                close: false
            }
        );
        // Searched in two pieces: the blank line split across them is still found.
        let split = REQUEST.len() - 2;
        assert_eq!(next_request(&REQUEST[..split], 0), None);
        assert_eq!(next_request(REQUEST, split), Some(first));
    }

    #[test]
    fn connection_close_and_other_methods_close() {
        let close = b"GET / HTTP/1.1\r\nHost: x\r\nconnection:  Close\r\n\r\n";
        assert!(next_request(close, 0).unwrap().close);
        let post = b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
        let post = next_request(post, 0).unwrap();
        assert!(!post.get && post.close);
    }

    #[test]
    fn a_response_ends_after_its_content_length() {
        assert_eq!(response_len(RESPONSE), Some(RESPONSE.len()));
        assert_eq!(response_len(&RESPONSE[..RESPONSE.len() - 1]), None);
        let mut more = RESPONSE.to_vec();
        more.extend_from_slice(b"HTTP/1.1");
        assert_eq!(response_len(&more), Some(RESPONSE.len()));
        assert_eq!(response_len(REJECT), Some(REJECT.len()));
    }
}
