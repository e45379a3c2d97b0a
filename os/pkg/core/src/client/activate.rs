//! `pkg activate` and the generation in use: verify the active generation at boot, fall back
//! to the newest intact one, and set the overlay.

use super::*;

impl<P: Platform> Pkg<P> {
    /// `pkg activate`: check the active generation's files against their manifests and make it
    /// visible through the overlay. A damaged active generation is reported problem by problem
    /// and the newest older generation that verifies is used instead (nothing is deleted and
    /// `current` is not changed, so `pkg verify` and a repair still see the damage). With no
    /// generation intact the empty generation 0 is used.
    pub fn activate(&mut self) -> Result<Activation> {
        // Leftovers of an interrupted transaction go first (only when nobody else works here).
        let locked = self.lock().is_ok();
        if locked {
            if let Err(e) = self.store().recover() {
                report::tell(&mut self.p, &Event::StagingNotCleaned(&e));
            }
        }
        let mut problems = Vec::new();
        let current = match self.store().current_number() {
            Ok(n) => Some(n),
            Err(e) => {
                problems.push(format!("{}: {e}", layout::CURRENT));
                None
            }
        };
        let mut rejected = Vec::new();
        let g = self.usable(current, &mut problems, &mut rejected);
        // Remember a fallback so the other commands describe (and start from) the generation
        // in use; only with the store lock (taken above), never racing a transaction.
        if locked {
            match current {
                Some(c) if c != g.generation => {
                    if let Err(e) = self.store().set_fallback(c, g.generation) {
                        report::tell(&mut self.p, &Event::FallbackNotRecorded(&e));
                    }
                }
                _ => self.store().clear_fallback(),
            }
        }
        let overlay = self.publish(&g);
        Ok(Activation {
            current,
            used: g.generation,
            problems,
            rejected,
            roots: payload_roots(&g),
            packages: names(&g),
            overlay,
        })
    }

    /// The newest generation at or before `current` (every generation when `None`) that reads
    /// and verifies; generation 0 (empty) when none does. Problems and rejected numbers are
    /// appended.
    pub(super) fn usable(
        &mut self,
        current: Option<u64>,
        problems: &mut Vec<String>,
        rejected: &mut Vec<u64>,
    ) -> Generation {
        let mut candidates: Vec<u64> = match self.store().generation_numbers() {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("{}: {e}", layout::GENERATIONS));
                Vec::new()
            }
        };
        candidates.retain(|&n| current.is_none_or(|c| n < c));
        candidates.reverse();
        if let Some(c) = current {
            candidates.insert(0, c);
        }
        for n in candidates {
            if n == 0 {
                break;
            }
            let g = match self.store().generation(n) {
                Ok(g) => g,
                Err(e) => {
                    problems.push(format!("generation {n}: {e}"));
                    rejected.push(n);
                    continue;
                }
            };
            let found = match self.verify_generation(&g, None) {
                Ok(found) => found,
                Err(e) => alloc::vec![format!("{e}")],
            };
            if !found.is_empty() {
                problems.extend(found.into_iter().map(|p| format!("generation {n}: {p}")));
                rejected.push(n);
                continue;
            }
            return g;
        }
        // Generation 0 is empty and always intact.
        Generation::empty()
    }

    /// The generation the commands work from (see [`InUse`]): the one `current` names unless
    /// `pkg activate` fell back from it, or it (or the pointer) cannot be read; then the newest
    /// older one that is intact.
    pub fn in_use(&mut self) -> Result<InUse> {
        let (number, problem) = match self.store().current_number() {
            Ok(n) => match self.store().generation(n) {
                Ok(g) => {
                    if let Some((c, used)) = self.store().fallback() {
                        if c == n {
                            if let Ok(u) = self.store().generation(used) {
                                return Ok(InUse {
                                    generation: u,
                                    recorded: Some(Recorded {
                                        number: Some(n),
                                        packages: names(&g),
                                        problem: String::from(
                                            "`pkg activate` found it damaged; `pkg verify` shows why",
                                        ),
                                    }),
                                });
                            }
                        }
                    }
                    return Ok(InUse {
                        generation: g,
                        recorded: None,
                    });
                }
                Err(e) => (Some(n), e.to_string()),
            },
            Err(e) => (None, e.to_string()),
        };
        let (mut problems, mut rejected) = (Vec::new(), Vec::new());
        let g = self.usable(number, &mut problems, &mut rejected);
        Ok(InUse {
            generation: g,
            recorded: Some(Recorded {
                number,
                packages: Vec::new(),
                problem,
            }),
        })
    }
}
