//! A tiny blocking HTTP/1.1 client for the few dockerd calls the VM lifecycle needs (ping,
//! version, image inspect, image import). Plain `std::net::TcpStream`, `Connection: close`, so it
//! works from sync code and from inside a tokio runtime alike.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

pub(crate) struct Docker {
    addr: SocketAddr,
}

#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).trim().to_string()
    }
}

impl Docker {
    pub(crate) fn new(port: u16) -> Docker {
        Docker {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        }
    }

    fn connect(&self, read_timeout: Duration) -> Result<TcpStream> {
        let s = TcpStream::connect_timeout(&self.addr, Duration::from_secs(3))
            .with_context(|| format!("cannot connect to dockerd at tcp://{}", self.addr))?;
        s.set_read_timeout(Some(read_timeout))?;
        s.set_write_timeout(Some(Duration::from_secs(120)))?;
        Ok(s)
    }

    fn head(&self, method: &str, path: &str, extra: &str) -> String {
        format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: mplsrepl\r\nConnection: close\r\n{extra}\r\n",
            self.addr
        )
    }

    pub(crate) fn get(&self, path: &str, timeout: Duration) -> Result<Response> {
        let mut s = self.connect(timeout)?;
        s.write_all(self.head("GET", path, "").as_bytes())?;
        read_response(&mut s).with_context(|| format!("GET {path} on tcp://{}", self.addr))
    }

    /// `POST /images/NAME/tag?repo=..&tag=..`: another name for an image dockerd has.
    pub(crate) fn tag(&self, name: &str, repo: &str, tag: &str) -> Result<()> {
        let path = format!(
            "/images/{}/tag?repo={}&tag={}",
            encode(name),
            encode(repo),
            encode(tag)
        );
        let mut s = self.connect(Duration::from_secs(30))?;
        s.write_all(self.head("POST", &path, "Content-Length: 0\r\n").as_bytes())?;
        let r = read_response(&mut s).with_context(|| format!("POST {path}"))?;
        if !(200..300).contains(&r.status) {
            bail!("POST {path}: HTTP {} {}", r.status, r.text());
        }
        Ok(())
    }

    /// `GET /_ping` answers `OK`.
    pub(crate) fn ping(&self) -> Result<()> {
        let r = self.get("/_ping", Duration::from_millis(1500))?;
        if r.status == 200 && r.body.starts_with(b"OK") {
            Ok(())
        } else {
            bail!("GET /_ping: HTTP {} {}", r.status, r.text())
        }
    }

    pub(crate) fn version(&self) -> Result<serde_json::Value> {
        let r = self.get("/version", Duration::from_secs(10))?;
        if r.status != 200 {
            bail!("GET /version: HTTP {} {}", r.status, r.text());
        }
        serde_json::from_slice(&r.body).context("GET /version: not JSON")
    }

    /// `GET /images/NAME/json`: Some(inspect) or None when dockerd does not have it.
    pub(crate) fn image_inspect(&self, name: &str) -> Result<Option<serde_json::Value>> {
        let path = format!("/images/{}/json", encode(name));
        let r = self.get(&path, Duration::from_secs(30))?;
        match r.status {
            200 => Ok(Some(
                serde_json::from_slice(&r.body).context("image inspect: not JSON")?,
            )),
            404 => Ok(None),
            s => bail!("GET {path}: HTTP {s} {}", r.text()),
        }
    }

    /// `POST /images/create?fromSrc=-&repo=..&tag=..&changes=..` with `body` (a tar stream) sent
    /// chunked. Returns (bytes sent, image id). dockerd reports failures either as an HTTP error
    /// or as `{"error": ...}` in its JSON progress stream; both become errors here.
    pub(crate) fn import(
        &self,
        repo: &str,
        tag: &str,
        changes: &[String],
        body: &mut dyn Read,
    ) -> Result<(u64, String)> {
        let mut query = format!("fromSrc=-&repo={}&tag={}", encode(repo), encode(tag));
        for c in changes {
            query.push_str("&changes=");
            query.push_str(&encode(c));
        }
        let path = format!("/images/create?{query}");
        let mut s = self.connect(Duration::from_secs(900))?;
        let head = self.head(
            "POST",
            &path,
            "Content-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n",
        );
        s.write_all(head.as_bytes())?;
        let mut sent = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        let write_err = loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break None,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).context("reading the image tar stream"),
            };
            let mut chunk = format!("{n:x}\r\n").into_bytes();
            chunk.extend_from_slice(&buf[..n]);
            chunk.extend_from_slice(b"\r\n");
            if let Err(e) = s.write_all(&chunk) {
                break Some(e);
            }
            sent += n as u64;
        };
        if write_err.is_none() {
            s.write_all(b"0\r\n\r\n")?;
        }
        // dockerd may have answered (and closed) early with an error: prefer its message
        let resp = read_response(&mut s);
        let resp = match (resp, write_err) {
            (Ok(r), _) => r,
            (Err(e), Some(w)) => {
                return Err(anyhow!(w)).context(format!(
                    "dockerd stopped reading the image after {sent} bytes ({e:#})"
                ))
            }
            (Err(e), None) => return Err(e).context("no answer from dockerd to the image import"),
        };
        if resp.status != 200 {
            bail!("image import: HTTP {} {}", resp.status, resp.text());
        }
        let mut id = String::new();
        for v in serde_json::Deserializer::from_slice(&resp.body).into_iter::<serde_json::Value>() {
            let v =
                v.with_context(|| format!("image import: bad JSON answer {:?}", resp.text()))?;
            if let Some(err) = v.get("error") {
                bail!(
                    "image import: dockerd says {}",
                    err.as_str().unwrap_or(&err.to_string())
                );
            }
            if let Some(st) = v.get("status").and_then(|s| s.as_str()) {
                if st.starts_with("sha256:") {
                    id = st.to_string();
                }
            }
        }
        Ok((sent, id))
    }
}

/// Percent-encode a query or path component (RFC 3986 unreserved kept).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn read_response(s: &mut TcpStream) -> Result<Response> {
    let mut raw = Vec::new();
    if let Err(e) = s.read_to_end(&mut raw) {
        // a complete response followed by a reset still counts
        if raw.is_empty() {
            return Err(e).context("reading the answer");
        }
    }
    parse_response(&raw)
}

/// Parse a complete HTTP/1.1 response (Content-Length, chunked, or read-to-close body).
pub(crate) fn parse_response(raw: &[u8]) -> Result<Response> {
    if raw.is_empty() {
        bail!("connection closed without an answer (dockerd not up yet?)");
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| anyhow!("truncated HTTP answer: {:?}", String::from_utf8_lossy(raw)))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| status_line.starts_with("HTTP/"))
        .ok_or_else(|| anyhow!("not an HTTP answer: {status_line:?}"))?;
    let mut chunked = false;
    let mut length = None;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            } else if k == "content-length" {
                length = v.parse::<usize>().ok();
            }
        }
    }
    let rest = &raw[split + 4..];
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(n) = length {
        if rest.len() < n {
            bail!("truncated HTTP body: {} of {n} bytes", rest.len());
        }
        rest[..n].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response { status, body })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| anyhow!("truncated chunked body"))?;
        let size_str = String::from_utf8_lossy(&data[..eol]);
        let size_str = size_str.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_str, 16)
            .map_err(|_| anyhow!("bad chunk size {size_str:?}"))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size {
            bail!("truncated chunk: {} of {size} bytes", data.len());
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_content_length() {
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nApi-Version: 1.41\r\n\r\nOKjunk",
        )
        .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"OK");
    }

    #[test]
    fn parses_chunked() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n3;x=1\r\n1}\n\r\n0\r\n\r\n";
        let r = parse_response(raw).unwrap();
        assert_eq!(r.body, b"{\"a\":1}\n");
    }

    #[test]
    fn parses_errors_and_garbage() {
        let r = parse_response(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found")
            .unwrap();
        assert_eq!((r.status, r.text().as_str()), (404, "not found"));
        assert!(parse_response(b"").is_err());
        assert!(parse_response(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Le").is_err());
    }

    #[test]
    fn percent_encoding() {
        assert_eq!(encode("labfrr:latest"), "labfrr:latest");
        assert_eq!(
            encode(r#"CMD ["sleep","infinity"]"#),
            "CMD%20%5B%22sleep%22%2C%22infinity%22%5D"
        );
    }

    /// A fake dockerd on 127.0.0.1:0 answering one request.
    fn fake(answer: &'static [u8]) -> (u16, std::thread::JoinHandle<Vec<u8>>) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let h = std::thread::spawn(move || {
            let (mut c, _) = l.accept().unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 65536];
            // read until the end of the request (headers, plus a chunked body's last chunk)
            loop {
                let n = c.read(&mut buf).unwrap();
                req.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&req);
                let done = if text.contains("chunked") {
                    text.ends_with("0\r\n\r\n")
                } else {
                    text.contains("\r\n\r\n")
                };
                if n == 0 || done {
                    break;
                }
            }
            c.write_all(answer).unwrap();
            req
        });
        (port, h)
    }

    #[test]
    fn ping_against_fake_dockerd() {
        let (port, h) = fake(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
        Docker::new(port).ping().unwrap();
        let req = String::from_utf8(h.join().unwrap()).unwrap();
        assert!(req.starts_with("GET /_ping HTTP/1.1\r\n"), "{req}");
    }

    #[test]
    fn import_streams_chunked_and_reports_errors() {
        let ok = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n{\"status\":\"sha256:abc123\"}\r\n0\r\n\r\n";
        let (port, h) = fake(ok);
        let mut body: &[u8] = b"tar bytes";
        let (sent, id) = Docker::new(port)
            .import("labfrr", "latest", &["CMD [\"sleep\"]".into()], &mut body)
            .unwrap();
        assert_eq!((sent, id.as_str()), (9, "sha256:abc123"));
        let req = String::from_utf8(h.join().unwrap()).unwrap();
        assert!(
            req.starts_with("POST /images/create?fromSrc=-&repo=labfrr&tag=latest&changes=CMD%20%5B%22sleep%22%5D HTTP/1.1"),
            "{req}"
        );
        assert!(req.ends_with("9\r\ntar bytes\r\n0\r\n\r\n"), "{req}");

        let bad =
            b"HTTP/1.1 200 OK\r\nContent-Length: 33\r\n\r\n{\"error\":\"archive/tar: invalid\"}\n";
        let (port, _h) = fake(bad);
        let mut body: &[u8] = b"x";
        let e = Docker::new(port)
            .import("labfrr", "latest", &[], &mut body)
            .unwrap_err();
        assert!(format!("{e:#}").contains("archive/tar: invalid"), "{e:#}");
    }
}
