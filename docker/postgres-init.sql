-- One database per service (DESIGN §2: no service reads another service's tables).
CREATE DATABASE plans;
CREATE DATABASE catalog;
CREATE DATABASE bidding;
CREATE DATABASE contracts;
CREATE DATABASE orders;
CREATE DATABASE gateway;
