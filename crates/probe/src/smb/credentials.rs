//! The identity of a credentialed session: `[DOMAIN\]user` and a password. No IO: the CLI
//! reads the password and hands it over; this type only holds it, wiped on drop, and never
//! shows it (its `Debug` prints the user name only).

use zeroize::Zeroizing;

/// A user name, its domain, and the password.
pub struct Credentials {
    domain: String,
    user: String,
    password: Zeroizing<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("domain", &self.domain)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Why a `--user` value is not a user name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// Nothing after the domain separator, or nothing at all.
    #[error("the user name is empty")]
    Empty,
    /// More than one `\` or `/`.
    #[error("a user name has at most one domain separator (DOMAIN\\user or DOMAIN/user)")]
    TwoSeparators,
}

/// Splits `[DOMAIN\]user` (or `DOMAIN/user`) into the domain (empty when not given: the
/// server's own) and the user name.
pub fn parse_user(text: &str) -> Result<(String, String), UserError> {
    let mut parts = text.split(['\\', '/']);
    let (domain, user) = match (parts.next(), parts.next(), parts.next()) {
        (_, _, Some(_)) => return Err(UserError::TwoSeparators),
        (Some(domain), Some(user), None) => (domain, user),
        (Some(user), None, None) => ("", user),
        (None, _, _) => ("", ""),
    };
    if user.is_empty() {
        return Err(UserError::Empty);
    }
    Ok((domain.to_owned(), user.to_owned()))
}

impl Credentials {
    /// Credentials for `user` (`[DOMAIN\]user`) with `password`, which is moved in and
    /// wiped when these drop.
    pub fn new(user: &str, password: Zeroizing<String>) -> Result<Self, UserError> {
        let (domain, user) = parse_user(user)?;
        Ok(Self {
            domain,
            user,
            password,
        })
    }

    /// The domain given with the user (empty: the server's own).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The user name.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// `DOMAIN\user`, or `user`: what may be shown and stored.
    pub fn display_name(&self) -> String {
        if self.domain.is_empty() {
            self.user.clone()
        } else {
            format!("{}\\{}", self.domain, self.user)
        }
    }

    /// The password, for the NTLMv2 response key only.
    pub fn password(&self) -> &str {
        &self.password
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_domain_separators_and_a_bare_user() {
        assert_eq!(parse_user("labuser"), Ok((String::new(), "labuser".into())));
        assert_eq!(
            parse_user("LAB\\labuser"),
            Ok(("LAB".into(), "labuser".into()))
        );
        assert_eq!(
            parse_user("LAB/labuser"),
            Ok(("LAB".into(), "labuser".into()))
        );
    }

    #[test]
    fn rejects_empty_and_doubly_qualified_names() {
        assert_eq!(parse_user(""), Err(UserError::Empty));
        assert_eq!(parse_user("LAB\\"), Err(UserError::Empty));
        assert_eq!(parse_user("a\\b/c"), Err(UserError::TwoSeparators));
    }

    #[test]
    fn debug_and_display_never_show_the_password() {
        let c = Credentials::new("LAB\\labuser", Zeroizing::new("LabPass1!".into())).unwrap();
        assert!(!format!("{c:?}").contains("LabPass1!"));
        assert_eq!(c.display_name(), "LAB\\labuser");
        assert_eq!(c.password(), "LabPass1!");
    }
}
