//! `vnitrokey`: Nitrokey's own secrets app (the OATH application of Nitrokey 3 devices, crates.io
//! `secrets-app`) on trussed's virtual platform, inserted into a vpcd reader until the process is
//! killed or pcscd goes away.
//!
//! ```text
//! vnitrokey [--port 35963]
//! ```
//!
//! The card answers SELECT of the YKOATH AID (a0 00 00 05 27 21 01) through the app; any other
//! SELECT (the YubiKey's Management or OTP applications) answers 6A82, as a Nitrokey 3 does over
//! CCID for applications it does not have. Storage is RAM only: every start is a blank token.
//! User presence is always granted (trussed's virtual user interface), so touch accounts compute
//! without a touch.

use std::process::ExitCode;

use secrets_app::{Authenticator, Options};
use trussed::backend::BackendId;
use trussed::platform::Platform;
use trussed::serde_extensions::{ExtensionDispatch, ExtensionId, ExtensionImpl};
use trussed::service::ServiceResources;
use trussed::types::{Context, CoreContext};
use trussed::virt::{self, StoreConfig};
use trussed_auth::AuthExtension;
use trussed_auth_backend::{AuthBackend, AuthContext, FilesystemLayout};
use trussed_core::api::{reply, request};
use trussed_core::types::Location;
use trussed_core::Error;

const OATH_AID: &[u8] = &[0xa0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01];

/// The custom backends: only the auth backend the app needs for its PIN and hardware key.
enum Backend {
    Auth,
}

/// The extensions the dispatch serves.
enum Extension {
    Auth,
}

impl From<Extension> for u8 {
    fn from(extension: Extension) -> u8 {
        match extension {
            Extension::Auth => 0,
        }
    }
}

impl TryFrom<u8> for Extension {
    type Error = Error;
    fn try_from(id: u8) -> Result<Self, Error> {
        match id {
            0 => Ok(Extension::Auth),
            _ => Err(Error::InternalError),
        }
    }
}

struct Dispatch {
    auth: AuthBackend,
}

#[derive(Default)]
struct DispatchContext {
    auth: AuthContext,
}

impl ExtensionDispatch for Dispatch {
    type BackendId = Backend;
    type Context = DispatchContext;
    type ExtensionId = Extension;

    fn extension_request<P: Platform>(
        &mut self,
        backend: &Backend,
        extension: &Extension,
        ctx: &mut Context<DispatchContext>,
        request: &request::SerdeExtension,
        resources: &mut ServiceResources<P>,
    ) -> Result<reply::SerdeExtension, Error> {
        match (backend, extension) {
            (Backend::Auth, Extension::Auth) => {
                let core: &mut CoreContext = &mut ctx.core;
                <AuthBackend as ExtensionImpl<AuthExtension>>::extension_request_serialized(
                    &mut self.auth,
                    core,
                    &mut ctx.backends.auth,
                    request,
                    resources,
                )
            }
        }
    }
}

impl ExtensionId<AuthExtension> for Dispatch {
    type Id = Extension;
    const ID: Extension = Extension::Auth;
}

const BACKENDS: &[BackendId<Backend>] = &[BackendId::Custom(Backend::Auth), BackendId::Core];

/// The card vpcd talks to: the app behind a minimal APDU dispatch.
struct Card<T: secrets_app::authenticator::Client> {
    app: Authenticator<T>,
    selected: bool,
}

impl<T: secrets_app::authenticator::Client> Card<T> {
    fn answer(&mut self, apdu: &[u8]) -> Vec<u8> {
        let command = match iso7816::command::CommandView::try_from(apdu) {
            Ok(command) => command,
            Err(_) => return vec![0x67, 0x00],
        };
        if apdu.get(1..3) == Some(&[0xa4, 0x04]) {
            // SELECT by AID (INS A4, P1 04; YKOATH's CALCULATE ALL shares INS A4 with P1 00):
            // only the OATH application exists (a prefix selects it, as on a YubiKey).
            let aid = command.data();
            if aid.is_empty() || !OATH_AID.starts_with(aid) && !aid.starts_with(OATH_AID) {
                self.selected = false;
                return vec![0x6a, 0x82];
            }
            self.selected = true;
        } else if !self.selected {
            return vec![0x6d, 0x00];
        }
        let mut reply = heapless::Vec::<u8, 7609>::new();
        let status = match self.app.respond(command, reply.as_mut_view()) {
            Ok(()) => iso7816::Status::Success,
            Err(status) => status,
        };
        let mut out: Vec<u8> = reply.to_vec();
        let sw: [u8; 2] = status.into();
        out.extend_from_slice(&sw);
        out
    }
}

impl<T: secrets_app::authenticator::Client> vpicc::VSmartCard for Card<T> {
    fn power_off(&mut self) {
        self.selected = false;
    }
    fn reset(&mut self) {
        self.selected = false;
    }
    fn execute(&mut self, msg: &[u8]) -> Vec<u8> {
        self.answer(msg)
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut port: u16 = 35963;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => match args.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => {
                    eprintln!("vnitrokey: --port needs a port number");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("usage: vnitrokey [--port 35963]");
                return ExitCode::from(2);
            }
        }
    }
    let dispatch = Dispatch {
        auth: AuthBackend::new(Location::Internal, FilesystemLayout::V0),
    };
    virt::with_platform(StoreConfig::ram(), |platform| {
        platform.run_client_with_backends("secrets", dispatch, BACKENDS, |client| {
            let options = Options::new(Location::Internal, 0, 1, [0x4e, 0x4b, 0x33, 0x01], 50);
            let mut card = Card {
                app: Authenticator::new(client, options),
                selected: false,
            };
            let connection = match vpicc::connect_socket(format!("127.0.0.1:{port}")) {
                Ok(connection) => connection,
                Err(e) => {
                    eprintln!("vnitrokey: cannot connect to vpcd on port {port}: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match connection.run(&mut card) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("vnitrokey: the link to vpcd ended: {e}");
                    ExitCode::FAILURE
                }
            }
        })
    })
}
