//! What every handle is: a name for part of one router's desired intent, carrying the session
//! that holds it. A builder method edits that part and returns the handle, so calls chain:
//! `router("PE1").vrf("CUSTA", 10).bind("eth1")`.

use super::edit::edit;
use crate::intent::RouterIntent;
use crate::script::common::{RhaiResult, Shared};

pub(crate) trait Handle: Clone {
    fn session(&self) -> &Shared;
    /// The router whose intent the handle edits.
    fn router(&self) -> &str;

    /// Edit the router's desired intent, then hand the handle back.
    fn edit_router<T>(
        &self,
        f: impl FnOnce(&mut RouterIntent) -> RhaiResult<T>,
    ) -> RhaiResult<Self> {
        edit(self.session(), self.router(), f)?;
        Ok(self.clone())
    }
}

/// `impl Handle` for a handle type whose router is the named field.
macro_rules! handle {
    ($type:ty, $router:ident) => {
        impl $crate::script::api::handle::Handle for $type {
            fn session(&self) -> &$crate::script::common::Shared {
                &self.session
            }
            fn router(&self) -> &str {
                &self.$router
            }
        }
    };
}
pub(crate) use handle;
