//! The calls of a login that answered `PASSWORD_WARN` or `PASSWORD_EXPIRED`: the three
//! password changes (`after-login/pwd/update-by-email`, `after-login/pwd/update-by-mobile`,
//! `pwd/update`), the skip (`pwd/skip-update`) and the mobile look-up (`mobile-by-token`).
//! All three changes share one implementation ([`Emulator::change_password`]), which runs
//! every check and the change under the store's lock.

use std::collections::VecDeque;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::api::{
    ApiError, Checked, STATE_TOKEN, check_headers, finish, json_body, lang, ok_json, secret_eq,
    state_token, string_field,
};
use crate::messages::Msg;
use crate::state::{CHANGE_PWD_EMS, CHANGE_PWD_SMS, Purpose, Store, User};
use crate::{Emulator, millis};

/// A change authorised by a verification code: the code's type and the answer to a wrong
/// code.
pub(crate) struct CodeKind {
    /// The code type (`CHANGE_PWD_EMS`, `CHANGE_PWD_SMS`).
    code_type: &'static str,
    /// The error code of a wrong code.
    wrong_code: &'static str,
    /// The message of a wrong code.
    wrong_msg: Msg,
    /// The name of the call, in the log.
    op: &'static str,
}

/// `after-login/pwd/update-by-email`: a `CHANGE_PWD_EMS` code; wrong → `SDK.SMS.1006`.
const BY_EMAIL: CodeKind = CodeKind {
    code_type: CHANGE_PWD_EMS,
    wrong_code: "SDK.SMS.1006",
    wrong_msg: Msg::WrongEmailCode,
    op: "update-by-email",
};

/// `after-login/pwd/update-by-mobile`: a `CHANGE_PWD_SMS` code; wrong → `SDK.SMS.1005`.
const BY_MOBILE: CodeKind = CodeKind {
    code_type: CHANGE_PWD_SMS,
    wrong_code: "SDK.SMS.1005",
    wrong_msg: Msg::WrongSmsCode,
    op: "update-by-mobile",
};

/// A change that passed its checks: whose, and the code that authorised it.
struct ChangeCheck {
    user_name: String,
    code_key: Option<(String, &'static str)>,
}

/// What authorises a password change.
enum Proof<'a> {
    /// A verification code of a type.
    Code(&'a CodeKind, &'a str),
    /// The current password.
    OldPassword(&'a str),
}

/// `POST /api/v2/sdk/after-login/pwd/update-by-email`.
pub(crate) async fn update_by_email(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    emulator.update_by_code(&BY_EMAIL, &headers, body)
}

/// `POST /api/v2/sdk/after-login/pwd/update-by-mobile`.
pub(crate) async fn update_by_mobile(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    emulator.update_by_code(&BY_MOBILE, &headers, body)
}

/// `POST /api/v2/sdk/pwd/update`.
pub(crate) async fn update(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = check_headers(&emulator, &headers, Some(STATE_TOKEN)).and_then(|checked| {
        let fields = json_body(body)?;
        let old = string_field(&fields, "old_password")?;
        let new = string_field(&fields, "new_password")?;
        emulator.change_password(&checked, &Proof::OldPassword(&old), &new, "pwd-update")
    });
    finish("pwd-update", lang(&headers), result)
}

/// `GET /api/v2/sdk/pwd/skip-update`.
pub(crate) async fn skip_update(State(emulator): State<Emulator>, headers: HeaderMap) -> Response {
    let result = check_headers(&emulator, &headers, Some(STATE_TOKEN))
        .and_then(|checked| emulator.skip(&checked));
    finish("skip-update", lang(&headers), result)
}

/// `GET /api/v2/sdk/mobile-by-token`.
pub(crate) async fn mobile_by_token(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
) -> Response {
    let result = check_headers(&emulator, &headers, Some(STATE_TOKEN))
        .and_then(|checked| emulator.mobile_of(&checked));
    finish("mobile-by-token", lang(&headers), result)
}

impl Emulator {
    /// update-by-email and update-by-mobile: headers, body, then the change.
    fn update_by_code(
        &self,
        kind: &CodeKind,
        headers: &HeaderMap,
        body: Result<Bytes, BytesRejection>,
    ) -> Response {
        let result = check_headers(self, headers, Some(STATE_TOKEN)).and_then(|checked| {
            let fields = json_body(body)?;
            let code = string_field(&fields, "verify_code")?;
            let new = string_field(&fields, "new_password")?;
            self.change_password(&checked, &Proof::Code(kind, &code), &new, kind.op)
        });
        finish(kind.op, lang(headers), result)
    }

    /// Steps 4 to 6 of a change and the change itself: the state token (purpose
    /// `PASSWORD_WARN` or `PASSWORD_EXPIRED`), the proof, the policy and the history; then
    /// the password changes, the state token and the code are consumed and a session
    /// starts.
    ///
    /// The checks run under the store's lock; the id_token is then signed without it (an
    /// RSA signature is most of a change's cost, and under the one lock every change of
    /// every user would wait for it: see BENCHMARKS.md, measure 3); then, under the lock
    /// again, the checks run once more (another request may have used the token or the code
    /// meanwhile) and the change is committed. The outcome is that of a change made at once
    /// under the lock: of concurrent requests with one state token exactly one succeeds, and
    /// a failure changes nothing but what a failed check counts (a wrong code).
    fn change_password(
        &self,
        checked: &Checked,
        proof: &Proof<'_>,
        new_password: &str,
        op: &'static str,
    ) -> Result<Response, ApiError> {
        let config = self.config();
        let now = self.now_ms();

        // What the id_token says of the user. Only the password of a stored user ever
        // changes, and it is not in the token.
        let subject = {
            let mut store = self.store();
            let change = self.check_change(&mut store, checked, proof, new_password, now)?;
            let user = store
                .users
                .get(&change.user_name)
                .ok_or_else(|| ApiError::bad("SDK.COMMON.1013", Msg::UserNotFound))?;
            User {
                id: user.id.clone(),
                user_name: user.user_name.clone(),
                password: String::new(),
                email: user.email.clone(),
                mobile: user.mobile.clone(),
                name: user.name.clone(),
                options: user.options,
                history: VecDeque::new(),
            }
        };

        // Mint the new session before changing anything, so that a failure changes nothing.
        let session = self.mint_session(
            &subject,
            &checked.client_id,
            now,
            millis(config.session_ttl),
        )?;

        let mut store = self.store();
        let store = &mut *store;
        let change = self.check_change(store, checked, proof, new_password, now)?;

        // Commit.
        let user = store
            .users
            .get_mut(&change.user_name)
            .ok_or_else(|| ApiError::bad("SDK.COMMON.1013", Msg::UserNotFound))?;
        user.set_password(new_password, config.history_len);
        if let Some(token) = std::str::from_utf8(&checked.token)
            .ok()
            .and_then(|t| store.state_tokens.get_mut(t))
        {
            token.used = true;
        }
        if let Some(key) = change.code_key {
            store.codes.remove(&key);
        }
        tracing::info!(user_name = %user.user_name, op, "emulator: password changed");
        Ok(ok_json(&session.commit(&mut store.sessions)))
    }

    /// Steps 4 to 6 of a change, on `store` (under its lock), changing nothing but the
    /// wrong-attempt count of a wrong code.
    fn check_change(
        &self,
        store: &mut Store,
        checked: &Checked,
        proof: &Proof<'_>,
        new_password: &str,
        now: i64,
    ) -> Result<ChangeCheck, ApiError> {
        let config = self.config();
        let token = state_token(
            &mut store.state_tokens,
            &checked.token,
            &checked.client_id,
            now,
        )?;
        if token.purpose == Purpose::Mfa {
            return Err(ApiError::bad(
                "SDK.COMMON.1006",
                Msg::ParamError(STATE_TOKEN),
            ));
        }

        // The proof.
        let mut code_key = None;
        if let Proof::Code(kind, verify_code) = proof {
            let key = (token.user_name.clone(), kind.code_type);
            let Some(code) = store.codes.get_mut(&key) else {
                return Err(ApiError::bad(kind.wrong_code, kind.wrong_msg.clone()));
            };
            if code.wrong_attempts >= config.max_code_attempts || now >= code.expires_at_ms {
                return Err(ApiError::bad(
                    "SDK.COMMON.1005",
                    Msg::Expired("verify_code"),
                ));
            }
            if !secret_eq(&code.code, verify_code) {
                code.wrong_attempts = code.wrong_attempts.saturating_add(1);
                return Err(ApiError::bad(kind.wrong_code, kind.wrong_msg.clone()));
            }
            code_key = Some(key);
        }
        let user = store
            .users
            .get(&token.user_name)
            .ok_or_else(|| ApiError::bad("SDK.COMMON.1013", Msg::UserNotFound))?;
        if let Proof::OldPassword(old) = proof
            && !secret_eq(&user.password, old)
        {
            return Err(ApiError::bad(
                "SDK.COMMON.1006",
                Msg::ParamError("old_password"),
            ));
        }

        // The policy, then the history.
        config
            .policy
            .check(new_password, &user.password)
            .map_err(|v| ApiError::bad("SDK.COMMON.1002", Msg::BadPassword(v)))?;
        if user.used_before(new_password, config.history_len) {
            return Err(ApiError::bad(
                "SDK.COMMON.1002",
                Msg::BadPassword(crate::PolicyViolation::Reused {
                    count: config.history_len,
                }),
            ));
        }
        Ok(ChangeCheck {
            user_name: token.user_name.clone(),
            code_key,
        })
    }

    /// The skip, under the store's lock: only a `PASSWORD_WARN` token; consumes it.
    fn skip(&self, checked: &Checked) -> Result<Response, ApiError> {
        let config = self.config();
        let now = self.now_ms();
        let mut store = self.store();
        let store = &mut *store;
        let token = state_token(
            &mut store.state_tokens,
            &checked.token,
            &checked.client_id,
            now,
        )?;
        match token.purpose {
            Purpose::Warn => {}
            Purpose::Expired => {
                return Err(ApiError::bad("SDK.COMMON.1006", Msg::MustChangeExpired));
            }
            Purpose::Mfa => {
                return Err(ApiError::bad(
                    "SDK.COMMON.1006",
                    Msg::ParamError(STATE_TOKEN),
                ));
            }
        }
        let user = store
            .users
            .get(&token.user_name)
            .ok_or_else(|| ApiError::bad("SDK.COMMON.1013", Msg::UserNotFound))?;
        let session =
            self.mint_session(user, &checked.client_id, now, millis(config.session_ttl))?;
        token.used = true;
        tracing::info!(user_name = %user.user_name, "emulator: password change skipped");
        Ok(ok_json(&session.commit(&mut store.sessions)))
    }

    /// The mobile number of the state token's user (any purpose; the token stays valid).
    fn mobile_of(&self, checked: &Checked) -> Result<Response, ApiError> {
        let now = self.now_ms();
        let mut store = self.store();
        let store = &mut *store;
        let token = state_token(
            &mut store.state_tokens,
            &checked.token,
            &checked.client_id,
            now,
        )?;
        let user = store
            .users
            .get(&token.user_name)
            .ok_or_else(|| ApiError::bad("SDK.COMMON.1013", Msg::UserNotFound))?;
        Ok(ok_json(&serde_json::json!({ "mobile": user.mobile })))
    }
}
