//! The routers pass: each `router` line's name, role, loopbacks, router ID, AS, engine and
//! image, and the rules across routers (one AS named means every provider router names one,
//! one router ID per router).

use super::*;

/// AS 0 and 4294967295 are reserved (RFC 7607, RFC 7300).
const AS_RANGE: std::ops::RangeInclusive<u32> = 1..=4_294_967_294;
/// More engines than a lab has routers would leave some empty; this bounds the typo.
const MAX_ENGINE: u32 = 1000;

impl<'s> Lowering<'s> {
    pub(super) fn routers<'f>(&mut self, file: &'f ast::File) -> Routers<'f> {
        let mut routers = Routers {
            drafts: Vec::new(),
            by_name: HashMap::new(),
        };
        for decl in file.statements.iter().filter_map(as_router) {
            self.check_name(NameKind::Router, &decl.name);
            if let Some(&first) = routers.by_name.get(decl.name.text.as_str()) {
                let line = self.line(&routers.drafts[first].decl.span);
                let message = format!(
                    "duplicate router `{}`: already declared on line {line}",
                    decl.name.text
                );
                self.push(self.error(&decl.name.span, message));
            } else {
                routers
                    .by_name
                    .insert(&decl.name.text, routers.drafts.len());
            }
            let role = self.role(&decl.role);
            if let Some(lo) = &decl.loopback {
                self.one_ipv6_prefix(lo, decl.loopback6.as_ref(), "a loopback");
            }
            let loopback = decl.written_loopback4().and_then(|lo| {
                let net = self.prefix(lo)?;
                self.not_martian(net.addr().into(), &lo.address.span)
                    .then_some(net)
            });
            let loopback6 = decl.written_loopback6().and_then(|lo| {
                let net = self.prefix6(lo)?;
                self.not_martian(net.addr().into(), &lo.address.span)
                    .then_some(net)
            });
            let router_id = decl.router_id.as_ref().and_then(|id| self.router_id(id));
            let image = self.router_image(decl);
            let asn = decl.asn.as_ref().and_then(|a| self.asn(a));
            let engine = decl.engine.as_ref().and_then(|e| self.engine(e));
            routers.drafts.push(RouterDraft {
                decl,
                role,
                loopback,
                loopback6,
                router_id,
                image,
                asn,
                engine,
            });
        }
        self.check_provider_ases(&routers);
        self.check_unique_router_ids(&routers);
        routers
    }

    /// `id ADDRESS`: an IPv4 address a router ID can be (BGP refuses 0.0.0.0).
    pub(super) fn router_id(&mut self, id: &ast::Word) -> Option<Ipv4Addr> {
        let address = self.ipv4(&id.text, &id.span)?;
        if address.is_unspecified() || address.is_broadcast() || address.is_multicast() {
            let e = self.error(
                &id.span,
                format!("router ID {address} is not one a router can have"),
            );
            self.push(e.with_help("a router ID is a unicast IPv4 address, like 1.1.1.1"));
            return None;
        }
        Some(address)
    }

    /// Two routers with one router ID would be one BGP speaker and one IS-IS system to their
    /// neighbors.
    pub(super) fn check_unique_router_ids(&mut self, routers: &Routers<'_>) {
        let mut first: HashMap<Ipv4Addr, &RouterDraft<'_>> = HashMap::new();
        for d in &routers.drafts {
            let (Some(id), Some(written)) = (d.router_id, &d.decl.router_id) else {
                continue;
            };
            if let Some(other) = first.get(&id) {
                let message = format!(
                    "router ID {id} is already {}'s (line {})",
                    other.decl.name.text,
                    self.line(&other.decl.span)
                );
                let e = self.error(&written.span, message);
                self.push(e.with_help("give each router a router ID of its own"));
            } else {
                first.insert(id, d);
            }
        }
    }

    pub(super) fn asn(&mut self, number: &ast::Word) -> Option<u32> {
        self.number_in(number, AS_RANGE, || {
            format!(
                "AS `{}`: expected an AS number from {} to {}",
                number.text,
                AS_RANGE.start(),
                AS_RANGE.end()
            )
        })
    }

    /// Once one provider router names its AS, every provider router must: a router left out
    /// would be in no AS, and which of its links are inter-AS (the IGP's edge) would be a guess.
    pub(super) fn check_provider_ases(&mut self, routers: &Routers<'_>) {
        let provider = |d: &&RouterDraft<'_>| d.role.is_some_and(|r| r != Role::Ce);
        let Some(named) = routers
            .drafts
            .iter()
            .filter(provider)
            .find(|d| d.decl.asn.is_some())
        else {
            return;
        };
        for d in routers.drafts.iter().filter(provider) {
            if d.decl.asn.is_some() {
                continue;
            }
            let message = format!(
                "router {} names no AS, but {} does (`as {}` on line {})",
                d.decl.name.text,
                named.decl.name.text,
                named.decl.asn.as_ref().map_or("", |a| a.text.as_str()),
                self.line(&named.decl.span)
            );
            let e = self.error(&d.decl.name.span, message).with_help(
                "in a lab of several ASes every provider router says which is its own: add `as N` after its loopback",
            );
            self.push(e);
        }
    }

    pub(super) fn engine(&mut self, number: &ast::Word) -> Option<u32> {
        self.number_in(number, 1..=MAX_ENGINE, || {
            format!(
                "engine `{}`: expected the number of an engine of `--engines`, from 1 to {MAX_ENGINE}",
                number.text
            )
        })
    }

    /// The number `word` says, when it is one of `range`; otherwise `message` at it.
    pub(super) fn number_in(
        &mut self,
        word: &ast::Word,
        range: std::ops::RangeInclusive<u32>,
        message: impl FnOnce() -> String,
    ) -> Option<u32> {
        match word.text.parse::<u32>() {
            Ok(n) if range.contains(&n) => Some(n),
            _ => {
                self.push(self.error(&word.span, message()));
                None
            }
        }
    }

    pub(super) fn role(&mut self, role: &ast::Word) -> Option<Role> {
        if let Some(parsed) = Role::parse(&role.text) {
            return Some(parsed);
        }
        let message = format!("unknown role `{}`: expected p, pe, ce or rr", role.text);
        let mut e = self.error(&role.span, message);
        if let Some(suggestion) = closest(&role.text, ROLES) {
            e = e.with_help(format!("did you mean `{suggestion}`?"));
        }
        self.push(e);
        None
    }

    /// The grammar lets a router's `image` clause follow on a later line, where it is easily
    /// meant as the lab's default image; requiring the router's line removes the ambiguity.
    pub(super) fn router_image(&mut self, decl: &ast::RouterDecl) -> Option<String> {
        let clause = decl.image.as_ref()?;
        if self.line(&clause.span) != self.line(&decl.span) {
            let message = format!(
                "ambiguous `image`: on its own line after router `{}`, it would set that router's image",
                decl.name.text
            );
            let help = format!(
                "move it onto the `router {}` line to set the router's image, or right after `lab` to set the lab's default",
                decl.name.text
            );
            self.push(self.error(&clause.span, message).with_help(help));
        }
        self.image(&clause.image)
    }
}
