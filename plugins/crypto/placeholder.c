/* placeholder until the OpenSSL crypto plugin lands */
typedef int ami__crypto_placeholder;
