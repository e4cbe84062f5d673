"""Db2 on Cloud into a pandas DataFrame with an IAM access token: a notebook cell.

    pip install pandas ibm_db
    IBMCLOUD_API_KEY=... DB2_HOSTNAME=....databases.appdomain.cloud DB2_PORT=30376 \\
        python3 db2_pandas.py "SELECT TABSCHEMA, TABNAME FROM SYSCAT.TABLES FETCH FIRST 10 ROWS ONLY"

In a notebook, paste the functions and the last block into a cell. Db2 gets the IAM access
token itself (ACCESSTOKEN=, Authentication=GSSPLUGIN over TLS), so the same code works with
a trusted profile and no API key at all: pass iamcore.ContainerAuthenticator(...) instead.
The token is valid for about an hour; a new connection_string() gives a fresh one (the
authenticator caches and refreshes it), so make one per connection, not one per notebook.

Environment: IBMCLOUD_API_KEY, DB2_HOSTNAME (required); DB2_PORT (default 30376, the usual
TLS port of Db2 on Cloud), DB2_DATABASE (default BLUDB), IAM_URL (optional).
"""
import os
import sys

import iamcore
import iamcore.db2


def db2_connection_string(authenticator):
    return iamcore.db2.connection_string(
        database=os.environ.get("DB2_DATABASE", "BLUDB"),
        hostname=os.environ["DB2_HOSTNAME"],
        port=int(os.environ.get("DB2_PORT", "30376")),
        authenticator=authenticator,
    )


def read_frame(sql, authenticator, connect=None):
    """Run `sql` and return its rows as a DataFrame. `connect` is a DB-API connect function
    called as connect(connection_string, "", ""); default ibm_db_dbi.connect."""
    import pandas as pd

    if connect is None:
        import ibm_db_dbi

        connect = ibm_db_dbi.connect
    connection = connect(db2_connection_string(authenticator), "", "")
    try:
        return pd.read_sql(sql, connection)
    finally:
        connection.close()


if __name__ == "__main__":
    auth = iamcore.IAMAuthenticator(os.environ["IBMCLOUD_API_KEY"], url=os.environ.get("IAM_URL"))
    query = sys.argv[1] if len(sys.argv) > 1 else "SELECT CURRENT TIMESTAMP FROM SYSIBM.SYSDUMMY1"
    print(read_frame(query, auth))
