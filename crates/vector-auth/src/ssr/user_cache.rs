//! The users that recent requests looked up, kept briefly so an authenticated request does not wait on
//! Postgres every time.
//!
//! Trade-off: a change to a user (deactivation, a new name) reaches an instance within `USER_CACHE_SECONDS`
//! (at most one access-token lifetime). Refreshing always reads Postgres, so a deactivated user's session
//! cannot outlive that window. Each instance has its own cache; nothing needs invalidating across them.

use std::time::Duration;

use moka::sync::Cache;
use uuid::Uuid;

use super::users::UserRow;

/// Enough for every active user of a typical app; beyond it the least used entries go first.
const CAPACITY: u64 = 10_000;

#[derive(Clone)]
pub struct UserCache {
    /// `None` when the cache is off (`USER_CACHE_SECONDS=0`).
    users: Option<Cache<Uuid, UserRow>>,
}

impl UserCache {
    pub fn new(ttl: Duration) -> Self {
        let users = (!ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(ttl)
                .build()
        });
        Self { users }
    }

    pub fn get(&self, id: Uuid) -> Option<UserRow> {
        self.users.as_ref()?.get(&id)
    }

    pub fn insert(&self, user: &UserRow) {
        if let Some(users) = &self.users {
            users.insert(user.id, user.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserRow {
        UserRow {
            id: Uuid::new_v4(),
            email: "ada@example.com".into(),
            first_name: "Ada".into(),
            last_name: String::new(),
            picture: String::new(),
            vector_uga_user_id: None,
            is_active: true,
            sessions_ended_at: None,
        }
    }

    #[test]
    fn entries_expire() {
        let cache = UserCache::new(Duration::from_millis(50));
        let ada = user();
        cache.insert(&ada);
        assert_eq!(cache.get(ada.id).map(|u| u.email), Some(ada.email));
        std::thread::sleep(Duration::from_millis(80));
        assert!(cache.get(ada.id).is_none());
    }

    #[test]
    fn a_zero_lifetime_turns_it_off() {
        let cache = UserCache::new(Duration::ZERO);
        let ada = user();
        cache.insert(&ada);
        assert!(cache.get(ada.id).is_none());
    }
}
