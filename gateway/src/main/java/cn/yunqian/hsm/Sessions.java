package cn.yunqian.hsm;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.Token;

/** Login and clean-up steps shared by every operation on a token. */
final class Sessions {

  private static final Logger LOG = LoggerFactory.getLogger(Sessions.class);

  private Sessions() {
  }

  /** Opens a read-write session on the token. */
  static Session openReadWrite(Token token, String label) {
    try {
      Session session = token.openSession(true);
      countOpened(session, 1);
      return session;
    } catch (PKCS11Exception e) {
      throw Pkcs11Errors.translate("C_OpenSession", label, e);
    }
  }

  /**
   * Logs in as {@code userType}. When the token is already logged in (a login left over by a
   * crashed caller), logs out first so that this PIN is checked by the token.
   */
  static void login(Session session, long userType, char[] pin, String label) {
    try {
      session.login(userType, pin);
    } catch (PKCS11Exception e) {
      if (e.getErrorCode() != PKCS11Constants.CKR_USER_ALREADY_LOGGED_IN) {
        throw Pkcs11Errors.translate("C_Login", label, e);
      }
      LOG.warn("Token {} was still logged in; logging out before a new login", label);
      try {
        session.logout();
        session.login(userType, pin);
      } catch (PKCS11Exception retry) {
        throw Pkcs11Errors.translate("C_Login", label, retry);
      }
    }
  }

  /**
   * Logs out and closes the session. If the logout fails, closes every session of the token,
   * which also ends the login (PKCS#11 v2.40, section 5.6, C_CloseAllSessions).
   */
  static void logoutAndClose(Session session, String label) {
    countOpened(session, -1);
    try {
      session.logout();
    } catch (PKCS11Exception e) {
      if (e.getErrorCode() != PKCS11Constants.CKR_USER_NOT_LOGGED_IN) {
        LOG.error("C_Logout failed on token {}: {}; closing all its sessions", label,
            e.getErrorName());
        closeAll(session, label);
        return;
      }
    }
    try {
      session.closeSession();
    } catch (PKCS11Exception e) {
      LOG.error("C_CloseSession failed on token {}: {}", label, e.getErrorName());
    }
  }

  /** Closes the session without logging out, for sessions of a pool that stays logged in. */
  static void close(Session session, String label) {
    countOpened(session, -1);
    try {
      session.closeSession();
    } catch (PKCS11Exception e) {
      // A lost session is already closed on the HSM side; nothing is left to release.
      LOG.debug("C_CloseSession on token {} failed: {}", label, e.getErrorName());
    }
  }

  private static void countOpened(Session session, int delta) {
    HsmModule module = HsmModule.of(session.getModule());
    if (module != null) {
      module.countSession(delta);
    }
  }

  private static void closeAll(Session session, String label) {
    try {
      long slotId = session.getToken().getTokenID();
      session.getModule().getPKCS11Module().C_CloseAllSessions(slotId);
    } catch (iaik.pkcs.pkcs11.wrapper.PKCS11Exception e) {
      LOG.error("C_CloseAllSessions failed on token {}: {}", label,
          PKCS11Constants.ckrCodeToName(e.getErrorCode()));
    }
  }
}
