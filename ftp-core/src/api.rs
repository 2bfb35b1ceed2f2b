//! The command methods both adapters offer, written once:
//! [`client_commands!`](crate::client_commands) expands to ftplib's one-command calls
//! (`cwd`, `size`, `login`, …) inside an adapter's `impl Client`, blocking or `async`.
//! Which op each method submits and which value of the completion it returns is decided
//! here, so `ftp-std` and `ftp-tokio` cannot drift apart.
//!
//! The adapter's `impl` must provide `run(&mut self, Op<'_>) -> Result<Completion, Error>`
//! and `settle(&mut self) -> Result<(), Error>` (drive until
//! [`is_settled`](crate::session::Client::is_settled); both `async fn` for the async
//! form), `decode(&self, &[u8]) -> Result<String, Error>` and
//! `capabilities(&self) -> Option<&Capabilities>`.

/// Expands to the one-command methods of an adapter's client: `client_commands!(blocking)`
/// or `client_commands!(async)`. See the [module docs](crate::api).
#[macro_export]
macro_rules! client_commands {
    (blocking) => {
        $crate::client_commands!(@emit [] [?] []);
    };
    (async) => {
        $crate::client_commands!(@emit [async] [.await?] [
            #[doc = ""]
            #[doc = "Cancellation: once polled, the command is queued; dropping the future \
                     leaves it to complete in the background, and the next call reads and \
                     discards its reply before its own."]
        ]);
    };
    (@emit [$($asyncness:tt)*] [$($wait:tt)*] [$($cancel:tt)*]) => {
        /// Logs in (USER, PASS, and ACCT if the server asks and `account` is given).
        $($cancel)*
        pub $($asyncness)* fn login(
            &mut self,
            user: &str,
            password: &str,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            let reply = self
                .run($crate::session::Op::Login {
                    user: user.as_bytes(),
                    password: password.as_bytes(),
                    account: None,
                })$($wait)*
                .reply;
            // The FEAT (and OPTS UTF8, CLNT) after login are answered before returning,
            // so `capabilities()` is filled in.
            self.settle()$($wait)*;
            Ok(reply)
        }

        /// Logs in anonymously (RFC 1635).
        $($cancel)*
        pub $($asyncness)* fn login_anonymous(
            &mut self,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            let reply = self.run($crate::session::Op::ANONYMOUS)$($wait)*.reply;
            self.settle()$($wait)*;
            Ok(reply)
        }

        /// Logs in with an account for servers that ask for one (332).
        $($cancel)*
        pub $($asyncness)* fn login_with_account(
            &mut self,
            user: &str,
            password: &str,
            account: Option<&str>,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            let reply = self
                .run($crate::session::Op::Login {
                    user: user.as_bytes(),
                    password: password.as_bytes(),
                    account: account.map(str::as_bytes),
                })$($wait)*
                .reply;
            self.settle()$($wait)*;
            Ok(reply)
        }

        /// Protects data connections from now on (`PBSZ 0`, `PROT P`).
        $($cancel)*
        pub $($asyncness)* fn prot_p(
            &mut self,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            Ok(self.run($crate::session::Op::ProtectData(true))$($wait)*.reply)
        }

        /// Sends data connections in the clear from now on (`PROT C`).
        $($cancel)*
        pub $($asyncness)* fn prot_c(
            &mut self,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            Ok(self.run($crate::session::Op::ProtectData(false))$($wait)*.reply)
        }

        /// Ends TLS on the control connection (`CCC`); data protection is unchanged.
        $($cancel)*
        pub $($asyncness)* fn ccc(
            &mut self,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            Ok(self.run($crate::session::Op::Ccc)$($wait)*.reply)
        }

        /// Changes the working directory.
        $($cancel)*
        pub $($asyncness)* fn cwd(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            Ok(self.run($crate::session::Op::Cwd(path.as_ref()))$($wait)*.reply)
        }

        /// Goes to the parent directory.
        $($cancel)*
        pub $($asyncness)* fn cdup(
            &mut self,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            Ok(self.run($crate::session::Op::Cdup)$($wait)*.reply)
        }

        /// The working directory.
        $($cancel)*
        pub $($asyncness)* fn pwd(&mut self) -> Result<String, $crate::driver::Error> {
            match self.run($crate::session::Op::Pwd)$($wait)*.value {
                $crate::driver::OwnedValue::Path(p) => self.decode(&p),
                _ => Err($crate::driver::Error::unreadable($crate::session::OpKind::Pwd)),
            }
        }

        /// Makes a directory; returns its path as the server names it (or `path`).
        $($cancel)*
        pub $($asyncness)* fn mkd(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> Result<String, $crate::driver::Error> {
            let path = path.as_ref();
            match self.run($crate::session::Op::Mkd(path))$($wait)*.value {
                $crate::driver::OwnedValue::Path(p) => self.decode(&p),
                _ => self.decode(path),
            }
        }

        /// Removes a directory.
        $($cancel)*
        pub $($asyncness)* fn rmd(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            Ok(self.run($crate::session::Op::Rmd(path.as_ref()))$($wait)*.reply)
        }

        /// Deletes a file.
        $($cancel)*
        pub $($asyncness)* fn delete(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            Ok(self.run($crate::session::Op::Delete(path.as_ref()))$($wait)*.reply)
        }

        /// Renames a file or directory (RNFR, RNTO).
        $($cancel)*
        pub $($asyncness)* fn rename(
            &mut self,
            from: impl AsRef<[u8]>,
            to: impl AsRef<[u8]>,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            let op = $crate::session::Op::Rename {
                from: from.as_ref(),
                to: to.as_ref(),
            };
            Ok(self.run(op)$($wait)*.reply)
        }

        /// A file's size (SIZE).
        $($cancel)*
        pub $($asyncness)* fn size(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> Result<u64, $crate::driver::Error> {
            match self.run($crate::session::Op::Size(path.as_ref()))$($wait)*.value {
                $crate::driver::OwnedValue::Size(n) => Ok(n),
                _ => Err($crate::driver::Error::unreadable($crate::session::OpKind::Size)),
            }
        }

        /// A file's modification time (MDTM), UTC.
        $($cancel)*
        pub $($asyncness)* fn mdtm(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> Result<$crate::FtpTime, $crate::driver::Error> {
            match self.run($crate::session::Op::Mdtm(path.as_ref()))$($wait)*.value {
                $crate::driver::OwnedValue::Time(t) => Ok(t),
                _ => Err($crate::driver::Error::unreadable($crate::session::OpKind::Mdtm)),
            }
        }

        /// A file's modification time as a `SystemTime`.
        $($cancel)*
        pub $($asyncness)* fn modified(
            &mut self,
            path: impl AsRef<[u8]>,
        ) -> Result<std::time::SystemTime, $crate::driver::Error> {
            Ok($crate::driver::system_time(self.mdtm(path)$($wait)*))
        }

        /// Sets a file's modification time (MFMT, or vsftpd's two-argument MDTM).
        $($cancel)*
        pub $($asyncness)* fn set_mtime(
            &mut self,
            path: impl AsRef<[u8]>,
            time: $crate::FtpTime,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            let op = $crate::session::Op::SetMtime {
                path: path.as_ref(),
                time,
            };
            Ok(self.run(op)$($wait)*.reply)
        }

        /// Asks FEAT again and returns what the server announces.
        $($cancel)*
        pub $($asyncness)* fn features(
            &mut self,
        ) -> Result<&$crate::feat::Capabilities, $crate::driver::Error> {
            self.run($crate::session::Op::Feat)$($wait)*;
            self.capabilities()
                .ok_or_else(|| $crate::driver::Error::unreadable($crate::session::OpKind::Feat))
        }

        /// `OPTS arguments`.
        $($cancel)*
        pub $($asyncness)* fn opts(
            &mut self,
            arguments: impl AsRef<[u8]>,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            Ok(self.run($crate::session::Op::Opts(arguments.as_ref()))$($wait)*.reply)
        }

        /// `SITE arguments`.
        $($cancel)*
        pub $($asyncness)* fn site(
            &mut self,
            arguments: impl AsRef<[u8]>,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            Ok(self.run($crate::session::Op::Site(arguments.as_ref()))$($wait)*.reply)
        }

        /// `NOOP`.
        $($cancel)*
        pub $($asyncness)* fn noop(
            &mut self,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            Ok(self.run($crate::session::Op::Noop)$($wait)*.reply)
        }

        /// The server's system type (`SYST`), e.g. `UNIX Type: L8`.
        $($cancel)*
        pub $($asyncness)* fn syst(&mut self) -> Result<String, $crate::driver::Error> {
            let reply = self.run($crate::session::Op::Syst)$($wait)*.reply;
            self.decode(reply.text())
        }

        /// `STAT [path]`: the server's status, or a listing over the control connection.
        $($cancel)*
        pub $($asyncness)* fn stat(
            &mut self,
            path: Option<&str>,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            Ok(self.run($crate::session::Op::Stat(path.map(str::as_bytes)))$($wait)*.reply)
        }

        /// `HELP [command]`.
        $($cancel)*
        pub $($asyncness)* fn help(
            &mut self,
            command: Option<&str>,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            Ok(self.run($crate::session::Op::Help(command.map(str::as_bytes)))$($wait)*.reply)
        }

        /// Sends a raw command line and returns its final reply; a 4xx/5xx is an error
        /// (ftplib's `sendcmd`). A 3xx is returned: the caller runs the sequence.
        $($cancel)*
        pub $($asyncness)* fn sendcmd(
            &mut self,
            line: impl AsRef<[u8]>,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            Ok(self.run($crate::session::Op::Raw(line.as_ref()))$($wait)*.reply)
        }

        /// Sends a raw command line and expects a 2xx (ftplib's `voidcmd`).
        $($cancel)*
        pub $($asyncness)* fn voidcmd(
            &mut self,
            line: impl AsRef<[u8]>,
        ) -> Result<$crate::reply::OwnedReply, $crate::driver::Error> {
            let reply = self.sendcmd(line)$($wait)*;
            $crate::driver::Error::require_completion($crate::session::OpKind::Raw, reply)
        }

        /// One entry's facts (MLST) over the control connection.
        $($cancel)*
        pub $($asyncness)* fn mlst(
            &mut self,
            path: Option<&str>,
        ) -> Result<$crate::listing::owned::OwnedEntry, $crate::driver::Error> {
            match self.run($crate::session::Op::Mlst(path.map(str::as_bytes)))$($wait)*.value {
                $crate::driver::OwnedValue::Entry(e) => Ok(e),
                _ => Err($crate::driver::Error::unreadable($crate::session::OpKind::Mlst)),
            }
        }

        /// Opens a session ready for work from a [`Recipe`]($crate::jobs::Recipe):
        /// connects, logs in, and changes to its directory (what a pool does for each
        /// session it opens).
        pub $($asyncness)* fn open(
            recipe: &$crate::jobs::Recipe,
        ) -> Result<Self, $crate::driver::Error> {
            let mut client = Self::connect(&recipe.address, recipe.config.clone())$($wait)*;
            match &recipe.credentials {
                $crate::jobs::Credentials::Anonymous => {
                    client.login_anonymous()$($wait)*;
                }
                $crate::jobs::Credentials::User { user, password, account } => {
                    client.login_with_account(user, password, account.as_deref())$($wait)*;
                }
            }
            if let Some(dir) = &recipe.directory {
                client.cwd(dir)$($wait)*;
            }
            Ok(client)
        }
    };
}

/// Expands to the methods of [`jobs::Remote`](crate::jobs::Remote) that drive the
/// client, inside an adapter's `impl Remote for …` block: `remote_commands!(blocking)` or
/// `remote_commands!(async)`. The block's type must have `fn client(&mut self) -> &mut
/// Client` and a `buffer: Vec<u8>` field; the adapter module must have `open_at(&Path,
/// offset, cut) -> Result<File, Error>` (its file type, positioned at `offset`, cut there
/// if `cut`; for segments), a `Metered { inner, meter }` sink that counts into the
/// [`Meter`](crate::jobs::Meter), and its write traits in scope; its `DataReader` must
/// have `copy_to_file_counting(&mut std::fs::File, FnMut(u64))` (whole files). The
/// adapter writes `home`, `recover`, `run_blocking` and `pause` itself (session and
/// runtime).
#[macro_export]
macro_rules! remote_commands {
    (blocking) => {
        $crate::remote_commands!(@emit [?]);
    };
    (async) => {
        $crate::remote_commands!(@emit [.await?]);
    };
    (@emit [$($wait:tt)*]) => {
        fn is_closed(&self) -> bool {
            // The client's own method (through `Deref`), not this trait's.
            ::core::ops::Deref::deref(self).is_closed()
        }

        fn has_mlsd(&self) -> bool {
            self.capabilities()
                .is_some_and(|c| c.has($crate::feat::Feature::Mlst))
        }

        #[allow(clippy::needless_question_mark)] // `?` is `.await?` in the async form
        fn resolve(
            &mut self,
            path: &str,
        ) -> impl ::core::future::Future<Output = Result<String, $crate::driver::Error>> + Send
        {
            async move {
                let client = self.client();
                if !path.is_empty() {
                    client.cwd(path)$($wait)*;
                }
                Ok(client.pwd()$($wait)*)
            }
        }

        fn list_dir(
            &mut self,
            dir: &str,
            machine: bool,
        ) -> impl ::core::future::Future<
            Output = Result<$crate::listing::owned::Listing, $crate::driver::Error>,
        > + Send {
            async move {
                // Into the directory and list it without an argument: LIST arguments
                // are globbed by some servers (vsftpd), so names with `[` or `*` would
                // not list.
                let client = self.client();
                client.cwd(dir)$($wait)*;
                Ok(if machine {
                    client.mlsd(None)$($wait)*
                } else {
                    client.list(None)$($wait)*
                })
            }
        }

        fn make_dir(
            &mut self,
            path: &str,
        ) -> impl ::core::future::Future<Output = Result<(), $crate::driver::Error>> + Send {
            async move {
                self.client().mkd(path)$($wait)*;
                Ok(())
            }
        }

        fn remove_dir(
            &mut self,
            path: &str,
        ) -> impl ::core::future::Future<Output = Result<(), $crate::driver::Error>> + Send {
            async move {
                self.client().rmd(path)$($wait)*;
                Ok(())
            }
        }

        fn delete_file(
            &mut self,
            path: &str,
        ) -> impl ::core::future::Future<Output = Result<(), $crate::driver::Error>> + Send {
            async move {
                self.client().delete(path)$($wait)*;
                Ok(())
            }
        }

        fn digest_reply(
            &mut self,
            path: &str,
        ) -> impl ::core::future::Future<
            Output = Result<
                Option<($crate::hash::Digest, $crate::reply::OwnedReply)>,
                $crate::driver::Error,
            >,
        > + Send {
            async move {
                let Some(digest) = self.capabilities().and_then($crate::hash::Digest::offered)
                else {
                    return Ok(None);
                };
                let client = self.client();
                if digest == $crate::hash::Digest::Sha256
                    && !client
                        .capabilities()
                        .is_some_and(|c| c.hash_algorithms().any(|a| a.marked
                            && a.name.eq_ignore_ascii_case(b"SHA-256")))
                {
                    client.opts("HASH SHA-256")$($wait)*;
                }
                let line = [digest.command(), b" ", path.as_bytes()].concat();
                Ok(Some((digest, client.sendcmd(line)$($wait)*)))
            }
        }

        fn download(
            &mut self,
            remote: &str,
            local: &::std::path::Path,
            offset: u64,
            end: Option<u64>,
            meter: &$crate::jobs::Meter<'_>,
        ) -> impl ::core::future::Future<Output = Result<(), $crate::driver::Error>> + Send {
            async move {
                let mut buffer = ::core::mem::take(&mut self.buffer);
                let result = async {
                    let Some(end) = end else {
                        // The whole file: through the reader's own file writer thread.
                        let path = local.to_owned();
                        let mut file = self
                            .run_blocking(move || $crate::jobs::open_local_at(&path, offset, true))
                            .await?;
                        let mut reader = self.client().retr_from(remote, offset)$($wait)*;
                        reader.copy_to_file_counting(&mut file, |n| meter.add(n))$($wait)*;
                        reader.finish()$($wait)*;
                        return Ok(());
                    };
                    let file = open_at(local, offset, false)$($wait)*;
                    let mut sink = Metered { inner: file, meter };
                    let mut reader = self.client().retr_from(remote, offset)$($wait)*;
                    buffer.resize(256 * 1024, 0);
                    let mut left = end.saturating_sub(offset);
                    let mut ended_early = false;
                    while left > 0 {
                        let want = buffer
                            .len()
                            .min(usize::try_from(left).unwrap_or(usize::MAX));
                        let n = reader.read(&mut buffer[..want])$($wait)*;
                        if n == 0 {
                            // The file ended before the segment did: the server says
                            // why (226, or an error), and the job finds it short.
                            ended_early = true;
                            break;
                        }
                        sink.write_all(&buffer[..n])$($wait)*;
                        left -= n as u64;
                    }
                    if ended_early || reader.total().is_some_and(|total| total == end) {
                        // The segment ends where the file does: a normal end.
                        reader.finish()$($wait)*;
                    } else {
                        // The segment is complete; the rest is another worker's.
                        reader.abort()$($wait)*;
                    }
                    sink.flush()$($wait)*;
                    Ok(())
                }
                .await;
                self.buffer = buffer;
                result
            }
        }

        fn upload(
            &mut self,
            local: &::std::path::Path,
            remote: &str,
            offset: u64,
            meter: &$crate::jobs::Meter<'_>,
        ) -> impl ::core::future::Future<Output = Result<(), $crate::driver::Error>> + Send {
            async move {
                let mut file = ::std::fs::File::open(local)?;
                ::std::io::Seek::seek(&mut file, ::std::io::SeekFrom::Start(offset))?;
                let client = self.client();
                let mut writer = if offset > 0 {
                    client.stor_at(remote, offset)$($wait)*
                } else {
                    client.stor(remote)$($wait)*
                };
                // sendfile(2) over a plain data connection (from the file's own
                // position), buffered copies under TLS.
                let sent = writer.copy_from_file(&mut file)$($wait)*;
                meter.add(sent);
                writer.finish()$($wait)*;
                Ok(())
            }
        }

        #[allow(clippy::needless_question_mark)]
        fn file_size(
            &mut self,
            path: &str,
        ) -> impl ::core::future::Future<Output = Result<u64, $crate::driver::Error>> + Send {
            async move { Ok(self.client().size(path)$($wait)*) }
        }

        fn set_file_time(
            &mut self,
            path: &str,
            time: $crate::FtpTime,
        ) -> impl ::core::future::Future<Output = Result<(), $crate::driver::Error>> + Send {
            async move {
                self.client().set_mtime(path, time)$($wait)*;
                Ok(())
            }
        }
    };
}
