//! The feed: customers flow from the sources into the run in order, each once, through a bounded
//! channel, a company page at a time. A job holds the pages in flight and the ids it met, never its
//! whole list (100,000 customers waiting packed were ~20 MiB of wasm memory).

use super::ctx::Ctx;
use super::sources::{self, Sources};
use super::work::{Dedupe, Work};
use crate::error::Result;
use futures::channel::mpsc::Sender;
use futures::SinkExt;

/// Customers waiting between the sources and the run, at most.
pub(crate) const FEED: usize = 256;

struct Feeder<'c, 'a> {
    ctx: &'c Ctx<'a>,
    tx: Sender<Work>,
    dedupe: Dedupe,
    sent: usize,
    /// False once the run stopped listening.
    open: bool,
}

impl Feeder<'_, '_> {
    async fn offer(&mut self, w: Work) {
        if !self.open || !self.dedupe.first(&w) {
            return;
        }
        if self.tx.send(w).await.is_err() {
            self.open = false;
            return;
        }
        self.sent += 1;
        if self.sent > self.ctx.total.get() {
            self.ctx.total.set(self.sent);
        }
    }

    /// Whether more is wanted: the run listens and has not stopped (a stopped job reads no page more).
    fn going(&self) -> bool {
        self.open && !self.ctx.stopped()
    }
}

/// Sends every customer of `sources` into `tx`, companies first and in order; how many it sent.
/// Ends early, without error, once the run stopped.
pub(crate) async fn feed(ctx: &Ctx<'_>, sources: Sources, tx: Sender<Work>) -> Result<usize> {
    let mut f = Feeder {
        ctx,
        tx,
        dedupe: Dedupe::default(),
        sent: 0,
        open: true,
    };
    for mut c in sources.companies {
        for w in std::mem::take(&mut c.held).into_works() {
            f.offer(w).await;
        }
        let Some(from) = c.rest_from else { continue };
        if !f.going() {
            break;
        }
        let walked = sources::company_pages(ctx, &c, from, async |works| {
            for w in works {
                f.offer(w).await;
            }
            match f.going() {
                true => Ok(()),
                false => Err(crate::error::Error::request("the run stopped")),
            }
        })
        .await;
        match walked {
            Err(_) if !f.going() => break,
            other => other?,
        }
    }
    for w in sources.rest.into_works() {
        if !f.going() {
            break;
        }
        f.offer(w).await;
    }
    Ok(f.sent)
}
