//! The admin back office of Bro AI (placeholder): answers /healthz on :8080.
use std::io::{Read, Write};
use std::net::TcpListener;

fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("0.0.0.0:8080")?;
    for stream in listener.incoming() {
        let mut stream = stream?;
        let mut buf = [0u8; 1024];
        let n = stream.read(&mut buf)?;
        let ok = buf[..n].starts_with(b"GET /healthz ");
        let (status, body) = if ok { ("200 OK", "ok") } else { ("404 Not Found", "not found") };
        write!(stream, "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())?;
    }
    Ok(())
}
