//! `Reservation`: a hold of units of one SKU for one order. At most one per
//! (order, SKU); it is active until it is released, committed or expires.
//!
//! Invariants: `0 <= held <= requested`; an active or committed hold holds units
//! (`held > 0`), a released or expired one none. Its state changes only through the
//! transitions below, each of which refuses to start from a status it does not allow:
//!
//! - `release` (active → active with fewer units, or released once none is left);
//! - `expire` (active and due → expired);
//! - `commit` (active → committed);
//! - `cancel` (active → released, or committed → released with its units returned);
//! - `retake` (active, released or expired → active, holding what it asked again).
//!
//! A transition that gives units back to available stock says why ([`ReleaseCause`]).

use chrono::{DateTime, Utc};

use super::{Actor, CorruptState, LocationId, MovementKind, OrderId, Quantity, Sku};

/// A hold's status. The text form is stored and published: it must not change.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum HoldStatus {
    Active,
    Released,
    Committed,
    Expired,
}

/// Why held units went back to available stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReleaseCause {
    /// The hold's owner released them.
    Owner,
    /// The order was cancelled before they were committed.
    OrderCancelled,
    /// The hold's time ran out.
    Expired,
}

impl ReleaseCause {
    /// The movement that records units given back for this cause.
    pub const fn movement_kind(self) -> MovementKind {
        match self {
            Self::Owner | Self::OrderCancelled => MovementKind::Released,
            Self::Expired => MovementKind::Expired,
        }
    }
}

/// Held units a hold gave back to available stock, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GivenBack {
    pub qty: i64,
    pub cause: ReleaseCause,
}

/// What the cancellation of its order did to a hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// An active hold gave its units back to available stock.
    Released(GivenBack),
    /// A committed hold's units came back on hand: the commit is compensated.
    Returned(i64),
}

/// A transition a hold refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HoldError {
    #[error("a {from} hold cannot become {to}")]
    Transition { from: HoldStatus, to: HoldStatus },
    #[error("the hold is not due before {expires_at}")]
    NotDue { expires_at: DateTime<Utc> },
    #[error("the hold asks {requested}; it cannot hold {held}")]
    MoreThanRequested { requested: i64, held: i64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// Where the units are held: every hold of an order is at one location.
    location: LocationId,
    order_id: OrderId,
    sku: Sku,
    /// What the order asked for: a retry must ask the same.
    requested: Quantity,
    /// Units still held (active), or committed (committed); 0 once released or expired.
    held: i64,
    status: HoldStatus,
    expires_at: DateTime<Utc>,
    /// Who made the hold: only it (or, for a saga hold, the saga) may touch it.
    owner: Actor,
}

impl Reservation {
    /// A new hold of `qty`, active until `expires_at`.
    pub fn new(
        location: LocationId,
        order_id: OrderId,
        sku: Sku,
        qty: Quantity,
        expires_at: DateTime<Utc>,
        owner: Actor,
    ) -> Self {
        Self {
            location,
            order_id,
            sku,
            requested: qty,
            held: qty.get(),
            status: HoldStatus::Active,
            expires_at,
            owner,
        }
    }

    /// Rebuilds a stored hold: the hold as it was made, then the units it holds now and
    /// its status, refusing a state that breaks the invariants.
    pub fn restore(made: Self, held: i64, status: HoldStatus) -> Result<Self, CorruptState> {
        let holds_units = matches!(status, HoldStatus::Active | HoldStatus::Committed);
        if !(0 <= held && held <= made.requested.get()) || holds_units != (held > 0) {
            return Err(CorruptState::Hold {
                order_id: made.order_id,
                sku: made.sku,
                requested: made.requested.get(),
                held,
                status,
            });
        }
        Ok(Self {
            held,
            status,
            ..made
        })
    }

    pub fn location(&self) -> &LocationId {
        &self.location
    }
    pub fn order_id(&self) -> &OrderId {
        &self.order_id
    }
    pub fn sku(&self) -> &Sku {
        &self.sku
    }
    pub fn requested(&self) -> Quantity {
        self.requested
    }
    pub fn held(&self) -> i64 {
        self.held
    }
    pub fn status(&self) -> HoldStatus {
        self.status
    }
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }
    pub fn owner(&self) -> &Actor {
        &self.owner
    }

    pub fn is_active(&self) -> bool {
        self.status == HoldStatus::Active
    }

    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.is_active() && self.expires_at <= now
    }

    /// Released or expired: the hold gave its units back and holds nothing.
    pub fn is_given_back(&self) -> bool {
        matches!(self.status, HoldStatus::Released | HoldStatus::Expired)
    }

    /// The owner gives back up to `up_to` units (all when `None`); the hold is released
    /// once it holds none.
    pub fn release(&mut self, up_to: Option<Quantity>) -> Result<GivenBack, HoldError> {
        self.require(HoldStatus::Active, HoldStatus::Released)?;
        let qty = up_to.map_or(self.held, |q| q.get().min(self.held));
        self.held -= qty;
        if self.held == 0 {
            self.status = HoldStatus::Released;
        }
        Ok(GivenBack {
            qty,
            cause: ReleaseCause::Owner,
        })
    }

    /// The hold's time has come (`expires_at <= now`): every unit goes back.
    pub fn expire(&mut self, now: DateTime<Utc>) -> Result<GivenBack, HoldError> {
        self.require(HoldStatus::Active, HoldStatus::Expired)?;
        if !self.is_due(now) {
            return Err(HoldError::NotDue {
                expires_at: self.expires_at,
            });
        }
        Ok(GivenBack {
            qty: self.end(HoldStatus::Expired),
            cause: ReleaseCause::Expired,
        })
    }

    /// The held units leave with the order; returns how many.
    pub fn commit(&mut self) -> Result<i64, HoldError> {
        self.require(HoldStatus::Active, HoldStatus::Committed)?;
        self.status = HoldStatus::Committed;
        Ok(self.held)
    }

    /// The order was cancelled: an active hold gives its units back, a committed one
    /// has them returned. Either way it ends released.
    pub fn cancel(&mut self) -> Result<Cancelled, HoldError> {
        match self.status {
            HoldStatus::Active => Ok(Cancelled::Released(GivenBack {
                qty: self.end(HoldStatus::Released),
                cause: ReleaseCause::OrderCancelled,
            })),
            HoldStatus::Committed => Ok(Cancelled::Returned(self.end(HoldStatus::Released))),
            from => Err(HoldError::Transition {
                from,
                to: HoldStatus::Released,
            }),
        }
    }

    /// `qty` more units are taken for the hold, so that it holds what it asked again:
    /// added to an active hold, or making a released or expired one active anew.
    pub fn retake(&mut self, qty: Quantity) -> Result<(), HoldError> {
        let held = match self.status {
            HoldStatus::Active => self.held + qty.get(),
            HoldStatus::Released | HoldStatus::Expired => qty.get(),
            from => {
                return Err(HoldError::Transition {
                    from,
                    to: HoldStatus::Active,
                });
            }
        };
        if held > self.requested.get() {
            return Err(HoldError::MoreThanRequested {
                requested: self.requested.get(),
                held,
            });
        }
        self.held = held;
        self.status = HoldStatus::Active;
        Ok(())
    }

    fn require(&self, from: HoldStatus, to: HoldStatus) -> Result<(), HoldError> {
        if self.status == from {
            Ok(())
        } else {
            Err(HoldError::Transition {
                from: self.status,
                to,
            })
        }
    }

    /// Ends the hold in `status`, holding nothing; returns the units it held.
    fn end(&mut self, status: HoldStatus) -> i64 {
        self.status = status;
        std::mem::take(&mut self.held)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use strum::VariantArray;

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }
    fn qty(n: i64) -> Quantity {
        Quantity::parse(n).unwrap()
    }
    fn hold(n: i64) -> Reservation {
        Reservation::new(
            LocationId::central(),
            OrderId::parse("o-1").unwrap(),
            Sku::parse("ABC-1234-AB").unwrap(),
            qty(n),
            now(),
            Actor::caller("shop").unwrap(),
        )
    }

    #[test]
    fn statuses_keep_their_stored_names() {
        let names: Vec<&str> = HoldStatus::VARIANTS.iter().map(|s| (*s).into()).collect();
        assert_eq!(names, ["active", "released", "committed", "expired"]);
        for status in HoldStatus::VARIANTS {
            assert_eq!(status.to_string().parse::<HoldStatus>(), Ok(*status));
        }
        assert!("Active".parse::<HoldStatus>().is_err());
    }

    #[test]
    fn a_partial_release_keeps_the_hold_active_until_nothing_is_left() {
        let mut h = hold(5);
        let given = h.release(Some(qty(3))).unwrap();
        assert_eq!(given.qty, 3);
        assert_eq!(given.cause.movement_kind(), MovementKind::Released);
        assert_eq!((h.held(), h.status()), (2, HoldStatus::Active));
        assert_eq!(h.release(Some(qty(9))).unwrap().qty, 2);
        assert_eq!((h.held(), h.status()), (0, HoldStatus::Released));
        assert_eq!(
            h.release(None),
            Err(HoldError::Transition {
                from: HoldStatus::Released,
                to: HoldStatus::Released
            })
        );
    }

    #[test]
    fn a_hold_expires_only_when_active_and_due() {
        let mut h = hold(4);
        assert!(matches!(
            h.expire(now() - Duration::seconds(1)),
            Err(HoldError::NotDue { .. })
        ));
        let given = h.expire(now()).unwrap();
        assert_eq!(
            given,
            GivenBack {
                qty: 4,
                cause: ReleaseCause::Expired
            }
        );
        assert_eq!((h.held(), h.status()), (0, HoldStatus::Expired));
        assert!(h.expire(now()).is_err());
        let mut committed = hold(4);
        committed.commit().unwrap();
        assert!(committed.expire(now()).is_err());
    }

    #[test]
    fn a_commit_happens_once_and_a_cancellation_returns_it() {
        let mut h = hold(4);
        assert_eq!(h.commit(), Ok(4));
        assert!(h.commit().is_err());
        assert!(h.release(None).is_err());
        assert_eq!(h.cancel(), Ok(Cancelled::Returned(4)));
        assert_eq!((h.held(), h.status()), (0, HoldStatus::Released));
        assert!(h.cancel().is_err());
    }

    #[test]
    fn cancelling_an_active_hold_gives_its_units_back_for_the_cancellation() {
        let mut h = hold(3);
        assert_eq!(
            h.cancel(),
            Ok(Cancelled::Released(GivenBack {
                qty: 3,
                cause: ReleaseCause::OrderCancelled
            }))
        );
    }

    #[test]
    fn a_retaken_hold_holds_what_it_asked_and_never_more() {
        let mut h = hold(5);
        h.release(Some(qty(2))).unwrap();
        h.retake(qty(2)).unwrap();
        assert_eq!((h.held(), h.status()), (5, HoldStatus::Active));
        h.expire(now()).unwrap();
        assert!(matches!(
            h.retake(qty(6)),
            Err(HoldError::MoreThanRequested { .. })
        ));
        h.retake(qty(5)).unwrap();
        assert_eq!((h.held(), h.status()), (5, HoldStatus::Active));
        h.commit().unwrap();
        assert!(h.retake(qty(1)).is_err());
    }

    #[test]
    fn restore_refuses_a_state_that_breaks_the_invariants() {
        let restore = |held, status| {
            let made = Reservation::new(
                LocationId::central(),
                OrderId::parse("o-1").unwrap(),
                Sku::parse("ABC-1234-AB").unwrap(),
                qty(3),
                now(),
                Actor::anonymous(),
            );
            Reservation::restore(made, held, status)
        };
        assert!(restore(3, HoldStatus::Active).is_ok());
        assert!(restore(0, HoldStatus::Expired).is_ok());
        assert!(restore(4, HoldStatus::Active).is_err());
        assert!(restore(0, HoldStatus::Committed).is_err());
        assert!(restore(1, HoldStatus::Released).is_err());
        assert!(restore(-1, HoldStatus::Expired).is_err());
    }
}
