//! The session a successful password change (or login) starts.

use std::fmt;
use std::time::Duration;

use crate::error::Error;
use crate::secret::{IdToken, SessionToken};

/// The `status` of a session answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionStatus {
    /// `SUCCESS`: signed in.
    Success,
    /// `ACCESS_DENIED`: the user may not sign in to this application.
    AccessDenied,
    /// A value this version does not know, kept as sent.
    Other(String),
}

impl SessionStatus {
    /// The typed status for a raw value.
    pub fn parse(raw: &str) -> SessionStatus {
        match raw {
            "SUCCESS" => SessionStatus::Success,
            "ACCESS_DENIED" => SessionStatus::AccessDenied,
            other => SessionStatus::Other(other.to_owned()),
        }
    }

    /// The value as the service writes it.
    pub fn as_str(&self) -> &str {
        match self {
            SessionStatus::Success => "SUCCESS",
            SessionStatus::AccessDenied => "ACCESS_DENIED",
            SessionStatus::Other(raw) => raw,
        }
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signed-in session. `Debug` shows the status and lifetime, never the tokens.
#[derive(Debug, Clone)]
pub struct Session {
    status: SessionStatus,
    session_token: SessionToken,
    expires_in: Duration,
    id_token: Option<IdToken>,
}

impl Session {
    /// Builds a session from the service's answer: a `SUCCESS` (or unknown) status with a
    /// session token and its lifetime. A status without a session token, and
    /// `ACCESS_DENIED` even with one, is [`Error::NotSignedIn`]: a caller that writes `?`
    /// never takes a denied user for a signed-in one. A session token without `expire` is
    /// an unexpected response.
    pub(crate) fn from_response(body: eiam_api::types::SessionResponse) -> Result<Session, Error> {
        Session::build(body.status, body.session_token, body.expire, body.id_token)
    }

    /// From a login's `SUCCESS`.
    pub(crate) fn from_login(body: eiam_api::types::LoginResponse) -> Result<Session, Error> {
        Session::build(body.status, body.session_token, body.expire, body.id_token)
    }

    /// From an id_token refresh (which has no `status`: a refreshed session is signed in).
    pub(crate) fn from_refresh(body: eiam_api::types::IdTokenResponse) -> Result<Session, Error> {
        Session::build(
            SessionStatus::Success.as_str().to_owned(),
            Some(body.session_token),
            Some(body.expire),
            Some(body.id_token),
        )
    }

    fn build(
        status: String,
        session_token: Option<String>,
        expire: Option<i64>,
        id_token: Option<String>,
    ) -> Result<Session, Error> {
        let parsed = SessionStatus::parse(&status);
        let token = match session_token.filter(|t| !t.is_empty()) {
            Some(token) if parsed != SessionStatus::AccessDenied => token,
            _ => return Err(Error::NotSignedIn { status }),
        };
        let status = parsed;
        let expire = expire.ok_or_else(|| Error::UnexpectedResponse {
            status: Some(reqwest::StatusCode::OK),
            reason: "a session_token without `expire`".into(),
            excerpt: String::new(),
            retry_after: None,
        })?;
        let expires_in = u64::try_from(expire).map_err(|_| Error::UnexpectedResponse {
            status: Some(reqwest::StatusCode::OK),
            reason: format!("a negative `expire` ({expire})"),
            excerpt: String::new(),
            retry_after: None,
        })?;
        Ok(Session {
            status,
            session_token: SessionToken::new(token),
            expires_in: Duration::from_secs(expires_in),
            id_token: id_token.filter(|t| !t.is_empty()).map(IdToken::new),
        })
    }

    /// The answered status (normally [`SessionStatus::Success`]).
    pub fn status(&self) -> &SessionStatus {
        &self.status
    }

    /// The session token.
    pub fn session_token(&self) -> &SessionToken {
        &self.session_token
    }

    /// How long the session token is valid, from the moment of the answer.
    pub fn expires_in(&self) -> Duration {
        self.expires_in
    }

    /// The id token, when the service sent one (EIAM does; OneAccess documents none).
    pub fn id_token(&self) -> Option<&IdToken> {
        self.id_token.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(status: &str, token: Option<&str>) -> Result<Session, Error> {
        Session::build(
            status.to_owned(),
            token.map(str::to_owned),
            Some(43200),
            None,
        )
    }

    #[test]
    fn access_denied_is_never_a_session_even_with_a_token() {
        for token in [None, Some("LGTiTNVDFPlpefV3F3Hla7RUFTqInsqa")] {
            let err = build("ACCESS_DENIED", token).expect_err("denied");
            assert!(
                matches!(&err, Error::NotSignedIn { status } if status == "ACCESS_DENIED"),
                "{err:?}"
            );
        }
    }

    #[test]
    fn success_and_unknown_statuses_with_a_token_are_sessions() {
        let token = Some("LGTiTNVDFPlpefV3F3Hla7RUFTqInsqa");
        let session = build("SUCCESS", token).expect("session");
        assert_eq!(session.status(), &SessionStatus::Success);
        assert_eq!(session.expires_in(), Duration::from_secs(43200));
        let session = build("SIGNED_IN_SOMEHOW", token).expect("session");
        assert_eq!(
            session.status(),
            &SessionStatus::Other("SIGNED_IN_SOMEHOW".into())
        );
        assert!(matches!(
            build("SUCCESS", None),
            Err(Error::NotSignedIn { .. })
        ));
    }
}
