//! suppaftp's blocking client moving one file, for `scripts/bench`.
//!
//! ```text
//! suppaftp_sync HOST:PORT USER PASS get REMOTE LOCAL|-
//! suppaftp_sync HOST:PORT USER PASS put LOCAL REMOTE
//! ```

use std::error::Error;
use std::fs::File;
use std::io;

use suppaftp::FtpStream;
use suppaftp::types::FileType;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [address, user, password, verb, a, b] = &args[..] else {
        eprintln!("usage: suppaftp_sync HOST:PORT USER PASS get REMOTE LOCAL|- | put LOCAL REMOTE");
        std::process::exit(2);
    };
    let mut ftp = FtpStream::connect(address.as_str())?;
    ftp.login(user.as_str(), password.as_str())?;
    ftp.transfer_type(FileType::Binary)?;
    let bytes = match verb.as_str() {
        "get" => {
            let mut stream = ftp.retr_as_stream(a)?;
            let n = if b == "-" {
                io::copy(&mut stream, &mut io::sink())?
            } else {
                io::copy(&mut stream, &mut File::create(b)?)?
            };
            stream.finish()?;
            n
        }
        "put" => ftp.put_file(b, &mut File::open(a)?)?,
        other => return Err(format!("unknown verb {other}").into()),
    };
    eprintln!("{verb} {bytes} bytes");
    ftp.quit()?;
    Ok(())
}
