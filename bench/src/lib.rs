//! Bench-only peers measured by `scripts/bench` (issue #8): the `suppaftp_sync` and
//! `suppaftp_tokio` binaries move one file with suppaftp 12 the way its documentation
//! shows (`retr_as_stream` + copy, `put_file`), in binary mode, plain FTP only.
