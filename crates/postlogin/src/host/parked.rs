//! The requests a login's task has handed to the shim (`host.fetch`, `host.sleep`) and the
//! answers `resume` delivers for them, matched by id (`runtime::Parked` is the future that
//! waits on one). Plain bookkeeping, no imports: the native tests run it.

/// What the shim answered to a parked request: for `fetch`, the status (see
/// `runtime::read_status`) and the body; a timer's is `0` and empty.
pub(crate) struct Answer {
    pub(crate) status: i32,
    pub(crate) body: String,
}

/// Every id handed out and still waited on, and the answers delivered and not yet taken. An
/// answer to a request nobody waits on any more (its future was dropped: an Action that raced
/// two requests and kept the first answer) is dropped on arrival, and a dropped future takes
/// its answer with it: nothing piles up, however the Action uses its futures.
pub(crate) struct Requests {
    next: u32,
    waiting: Vec<u32>,
    answers: Vec<(u32, Answer)>,
}

impl Requests {
    pub(crate) const fn new() -> Self {
        Requests {
            next: 0,
            waiting: Vec::new(),
            answers: Vec::new(),
        }
    }

    /// A new request's id, waited on from now.
    pub(crate) fn park(&mut self) -> u32 {
        let id = self.next;
        self.next = id.wrapping_add(1);
        self.waiting.push(id);
        id
    }

    /// Keeps the answer to `id` for its future, if one still waits on it.
    pub(crate) fn deliver(&mut self, id: u32, answer: Answer) {
        if let Some(index) = self.waiting.iter().position(|&waiting| waiting == id) {
            self.waiting.swap_remove(index);
            self.answers.push((id, answer));
        }
    }

    /// The answer to `id`, once delivered.
    pub(crate) fn take(&mut self, id: u32) -> Option<Answer> {
        let index = self
            .answers
            .iter()
            .position(|(answered, _)| *answered == id)?;
        Some(self.answers.swap_remove(index).1)
    }

    /// Nobody waits on `id` any more: its answer, delivered or to come, is dropped.
    pub(crate) fn abandon(&mut self, id: u32) {
        self.waiting.retain(|&waiting| waiting != id);
        self.answers.retain(|(answered, _)| *answered != id);
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.waiting.is_empty() && self.answers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: i32) -> Answer {
        Answer {
            status,
            body: status.to_string(),
        }
    }

    #[test]
    fn an_answer_reaches_the_request_it_answers() {
        let mut requests = Requests::new();
        let (first, second) = (requests.park(), requests.park());
        assert_ne!(first, second);
        requests.deliver(second, answer(204));
        assert!(requests.take(first).is_none());
        let taken = requests.take(second).expect("delivered");
        assert_eq!((taken.status, taken.body.as_str()), (204, "204"));
        requests.deliver(first, answer(200));
        assert_eq!(requests.take(first).map(|taken| taken.status), Some(200));
        assert!(requests.is_empty());
    }

    #[test]
    fn nothing_is_kept_for_a_request_nobody_waits_on() {
        let mut requests = Requests::new();
        // Abandoned before its answer came (the race's loser), and after (answered, dropped
        // unread when the task finished on another answer).
        let (lost, unread, unknown) = (requests.park(), requests.park(), 99);
        requests.abandon(lost);
        requests.deliver(unread, answer(200));
        requests.abandon(unread);
        requests.deliver(lost, answer(200));
        requests.deliver(unknown, answer(200));
        assert!(requests.is_empty());
        assert!(requests.take(lost).is_none() && requests.take(unread).is_none());
        // Taken once: a second delivery for the same id is not kept either.
        let id = requests.park();
        requests.deliver(id, answer(200));
        requests.deliver(id, answer(500));
        assert_eq!(requests.take(id).map(|taken| taken.status), Some(200));
        assert!(requests.is_empty());
    }
}
